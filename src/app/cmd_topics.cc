// `lakestream topics create|list|describe|lag|delete`: topic administration and monitoring.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli_util.h"
#include "app/commands.h"
#include "kafka/admin.h"

namespace lakestream::app {
namespace {

struct TopicsArgs {
  KafkaOptions kafka;
  int timeout_s = 10;
  std::string topic;
  int partitions = 1;
  int replication_factor = 1;
  std::vector<std::string> topic_configs;
  bool if_not_exists = false;
  bool if_exists = false;
  bool internal = false;
  bool long_format = false;
  bool all_configs = false;
  bool json = false;
  std::string group;
};

Result<kafka::Admin> Connect(const TopicsArgs& args) {
  LS_ASSIGN_OR_RETURN(kafka::ClientConfig config,
                      kafka::ClientConfig::Load(args.kafka.config_file, args.kafka.overrides));
  return kafka::Admin::Connect(config, args.timeout_s * 1000);
}

std::string JoinIds(const std::vector<int32_t>& ids) {
  return fmt::format("{}", fmt::join(ids, ","));
}

void RunCreate(const TopicsArgs& args) {
  Result<kafka::TopicConfig> configs = kafka::ParseTopicConfigArgs(args.topic_configs);
  if (!configs.ok()) return Fail(configs.status());
  Result<kafka::Admin> admin = Connect(args);
  if (!admin.ok()) return Fail(admin.status());
  kafka::NewTopic topic{args.topic, args.partitions, args.replication_factor, *configs};
  Result<kafka::CreateOutcome> created = admin->CreateTopic(topic, args.if_not_exists);
  if (!created.ok()) return Fail(created.status());
  if (*created == kafka::CreateOutcome::kAlreadyExists) {
    std::printf("topic '%s' already exists on %s; left unchanged\n", args.topic.c_str(),
                admin->bootstrap().c_str());
  } else {
    std::printf("created topic '%s' on %s: %d partition(s), replication factor %d\n",
                args.topic.c_str(), admin->bootstrap().c_str(), args.partitions,
                args.replication_factor);
  }
}

void RunList(const TopicsArgs& args) {
  Result<kafka::Admin> admin = Connect(args);
  if (!admin.ok()) return Fail(admin.status());
  Result<std::vector<kafka::TopicListing>> topics = admin->ListTopics(args.internal);
  if (!topics.ok()) return Fail(topics.status());
  if (args.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& t : *topics)
      out.push_back({{"name", t.name}, {"partitions", t.partitions}, {"internal", t.internal}});
    std::printf("%s\n", out.dump(2).c_str());
    return;
  }
  for (const auto& t : *topics) {
    if (args.long_format) {
      std::printf("%-40s %d\n", t.name.c_str(), t.partitions);
    } else {
      std::printf("%s\n", t.name.c_str());
    }
  }
}

void RunDescribe(const TopicsArgs& args) {
  Result<kafka::Admin> admin = Connect(args);
  if (!admin.ok()) return Fail(admin.status());
  Result<kafka::TopicDescription> desc = admin->DescribeTopic(args.topic);
  if (!desc.ok()) return Fail(desc.status());
  const size_t replication =
      desc->partitions.empty() ? 0 : desc->partitions.front().replicas.size();
  // By default only what was set on this topic, as kafka-topics.sh --describe shows it.
  auto shown = [&](const kafka::ConfigEntry& c) {
    return args.all_configs || c.source == "DYNAMIC_TOPIC_CONFIG";
  };
  auto value = [](const kafka::ConfigEntry& c) {
    return c.is_sensitive ? std::string("[sensitive]") : c.value;
  };

  if (args.json) {
    nlohmann::json out{{"name", desc->name},
                       {"partition_count", desc->partitions.size()},
                       {"replication_factor", replication}};
    nlohmann::json partitions = nlohmann::json::array();
    for (const auto& p : desc->partitions) {
      partitions.push_back(
          {{"id", p.id}, {"leader", p.leader}, {"replicas", p.replicas}, {"isr", p.isr}});
    }
    out["partitions"] = partitions;
    nlohmann::json configs = nlohmann::json::object();
    for (const auto& c : desc->configs) {
      if (shown(c))
        configs[c.name] = {{"value", value(c)}, {"source", c.source}, {"default", c.is_default}};
    }
    out["configs"] = configs;
    std::printf("%s\n", out.dump(2).c_str());
    return;
  }
  std::printf("topic               %s\npartitions          %zu\nreplication factor  %zu\n",
              desc->name.c_str(), desc->partitions.size(), replication);
  std::printf("configs%s\n",
              args.all_configs ? "" : " (set on the topic; --all-configs shows every one)");
  bool any = false;
  for (const auto& c : desc->configs) {
    if (!shown(c)) continue;
    any = true;
    std::printf("  %s=%s  (%s)\n", c.name.c_str(), value(c).c_str(), c.source.c_str());
  }
  if (!any) std::printf("  (none)\n");
  std::printf("%9s  %6s  %-12s  %s\n", "partition", "leader", "replicas", "isr");
  for (const auto& p : desc->partitions) {
    std::printf("%9d  %6d  %-12s  %s\n", p.id, p.leader, JoinIds(p.replicas).c_str(),
                JoinIds(p.isr).c_str());
  }
}

void RunLag(const TopicsArgs& args) {
  Result<kafka::Admin> admin = Connect(args);
  if (!admin.ok()) return Fail(admin.status());
  Result<std::vector<kafka::PartitionLag>> lag = admin->GroupLag(args.group, args.topic);
  if (!lag.ok()) return Fail(lag.status());
  int64_t total = 0;
  bool all_committed = true;
  for (const auto& p : *lag) {
    if (p.committed < 0) all_committed = false;
    else total += p.lag();
  }
  auto or_null = [](int64_t v) { return v < 0 ? nlohmann::json(nullptr) : nlohmann::json(v); };
  if (args.json) {
    nlohmann::json partitions = nlohmann::json::array();
    for (const auto& p : *lag) {
      partitions.push_back({{"partition", p.partition},
                            {"committed", or_null(p.committed)},
                            {"end", p.end},
                            {"lag", or_null(p.lag())}});
    }
    nlohmann::json out{{"topic", args.topic},
                       {"group", args.group},
                       {"partitions", partitions},
                       {"lag", all_committed ? nlohmann::json(total) : nlohmann::json(nullptr)}};
    std::printf("%s\n", out.dump(2).c_str());
    return;
  }
  auto text = [](int64_t v) { return v < 0 ? std::string("-") : fmt::format("{}", v); };
  std::printf("topic %s, group %s\n", args.topic.c_str(), args.group.c_str());
  std::printf("%9s  %14s  %14s  %12s\n", "partition", "committed", "end", "lag");
  for (const auto& p : *lag) {
    std::printf("%9d  %14s  %14s  %12s\n", p.partition, text(p.committed).c_str(), text(p.end).c_str(),
                text(p.lag()).c_str());
  }
  if (all_committed) {
    std::printf("total lag %s\n", text(total).c_str());
  } else {
    std::printf("lag of the committed partitions %s; - : the group has committed no offset for that "
                "partition (it has not read it yet, or the group name is misspelled)\n",
                text(total).c_str());
  }
}

void RunDelete(const TopicsArgs& args) {
  Result<kafka::Admin> admin = Connect(args);
  if (!admin.ok()) return Fail(admin.status());
  Result<bool> deleted = admin->DeleteTopic(args.topic, args.if_exists);
  if (!deleted.ok()) return Fail(deleted.status());
  if (*deleted) {
    std::printf("deleted topic '%s' on %s\n", args.topic.c_str(), admin->bootstrap().c_str());
  } else {
    std::printf("topic '%s' does not exist on %s; nothing to delete\n", args.topic.c_str(),
                admin->bootstrap().c_str());
  }
}

void AddCommonOptions(CLI::App* cmd, TopicsArgs* args) {
  args->kafka.AddTo(cmd);
  // Each -X takes exactly one key=value, so a topic name after it stays positional.
  cmd->get_option("-X")->allow_extra_args(false);
  cmd->add_option("--timeout", args->timeout_s,
                  "Seconds to wait for the cluster to answer each request")
      ->transform(WholeNumber(1, 3600))  // as milliseconds, an int: a larger value overflowed
      ->capture_default_str();
}

void AddTopicArgument(CLI::App* cmd, TopicsArgs* args) {
  cmd->add_option("topic", args->topic, "Topic name (ASCII letters, digits, '.', '_', '-')")
      ->required();
}

}  // namespace

void AddTopicsCommand(CLI::App& root) {
  auto args = std::make_shared<TopicsArgs>();
  CLI::App* cmd = root.add_subcommand("topics", "Create, list, describe and delete Kafka topics; show a group's lag");
  cmd->require_subcommand(1);
  cmd->footer(
      "Every subcommand takes --config FILE (Kafka client properties) and -X key=value; the "
      "default\n"
      "cluster is 127.0.0.1:9092 (`lakestream broker start`).\n"
      "Examples:\n"
      "  lakestream topics create mta-turnstile --partitions 4\n"
      "  lakestream topics list\n"
      "  lakestream topics describe mta-turnstile\n"
      "  lakestream topics lag mta-turnstile --group mta");

  CLI::App* create = cmd->add_subcommand("create", "Create a topic");
  AddTopicArgument(create, args.get());
  create->add_option("--partitions,-p", args->partitions, "Number of partitions")
      ->transform(WholeNumber(1, INT32_MAX))
      ->capture_default_str();
  create
      ->add_option("--replication-factor,-r", args->replication_factor,
                   "Copies of each partition (at most the number of brokers)")
      ->transform(WholeNumber(1, INT32_MAX))
      ->capture_default_str();
  create
      ->add_option("--topic-config", args->topic_configs,
                   "Topic configuration key=value, e.g. retention.ms=86400000 (repeatable)")
      ->allow_extra_args(false);
  create->add_flag("--if-not-exists", args->if_not_exists,
                   "Succeed without changes if the topic already exists");
  AddCommonOptions(create, args.get());
  create->footer(
      "Examples:\n"
      "  lakestream topics create mta-turnstile --partitions 4\n"
      "  lakestream topics create events -p 8 --topic-config retention.ms=86400000 --topic-config "
      "cleanup.policy=delete\n"
      "  lakestream topics create mta-turnstile --partitions 4 --if-not-exists --config "
      "cloud.properties");
  create->callback([args] { RunCreate(*args); });

  CLI::App* list =
      cmd->add_subcommand("list", "List topics (internal __ topics only with --internal)");
  list->add_flag("--internal", args->internal,
                 "Also list internal topics such as __consumer_offsets");
  list->add_flag("--long,-l", args->long_format, "Also print each topic's partition count");
  list->add_flag("--json", args->json, "Print a JSON array of {name, partitions, internal}");
  AddCommonOptions(list, args.get());
  list->footer(
      "Examples:\n"
      "  lakestream topics list\n"
      "  lakestream topics list -l -X bootstrap.servers=127.0.0.1:39092");
  list->callback([args] { RunList(*args); });

  CLI::App* describe = cmd->add_subcommand(
      "describe",
      "Show a topic's partitions (leader, replicas, in-sync replicas) and configuration");
  AddTopicArgument(describe, args.get());
  describe->add_flag("--all-configs", args->all_configs,
                     "Show every config with its source, not just those set on the topic");
  describe->add_flag("--json", args->json,
                     "Print JSON: name, partition_count, replication_factor, partitions, configs");
  AddCommonOptions(describe, args.get());
  describe->footer(
      "Examples:\n"
      "  lakestream topics describe mta-turnstile\n"
      "  lakestream topics describe mta-turnstile --all-configs --json");
  describe->callback([args] { RunDescribe(*args); });

  CLI::App* lag = cmd->add_subcommand(
      "lag", "Show a consumer group's committed offset, end offset and lag for each partition");
  AddTopicArgument(lag, args.get());
  lag->add_option("--group,-g", args->group, "Consumer group (the --group of `lakestream process`)")
      ->required();
  lag->add_flag("--json", args->json, "Print JSON: topic, group, partitions [{partition, committed, end, lag}], lag");
  AddCommonOptions(lag, args.get());
  lag->footer(
      "`lakestream process` commits the group's offsets after each lake commit (--trigger) and when it\n"
      "stops, for monitoring only: it resumes from the lake's checkpoints, never from these offsets.\n"
      "Examples:\n"
      "  lakestream topics lag mta-turnstile --group mta\n"
      "  lakestream topics lag mta-turnstile -g mta --json");
  lag->callback([args] { RunLag(*args); });

  CLI::App* del = cmd->add_subcommand("delete", "Delete a topic and all its messages (not the brokers' own, such as __consumer_offsets)");
  AddTopicArgument(del, args.get());
  del->add_flag("--if-exists", args->if_exists, "Succeed if the topic does not exist");
  AddCommonOptions(del, args.get());
  del->footer(
      "Examples:\n"
      "  lakestream topics delete scratch-topic\n"
      "  lakestream topics delete scratch-topic --if-exists");
  del->callback([args] { RunDelete(*args); });
}

}  // namespace lakestream::app
