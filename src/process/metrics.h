// `process --metrics-port`: the job's figures as Prometheus metrics (metrics/prometheus.h
// serves them).
#pragma once

#include <string>

#include "metrics/prometheus.h"
#include "process/job.h"

namespace lakestream::process {

// The figures as Prometheus text: counters `lakestream_*_total`, gauges for the assigned
// partitions, the lag and the watermarks (a gauge whose value is not known yet, as the lag
// before the first fetch, is left out).
std::string RenderPrometheus(const JobFigures& f, const metrics::Labels& labels);

}  // namespace lakestream::process
