// watchbot-progress-cpp: inspect and edit watchbot-progress jobs. The subcommands live one per file
// (cmd_*.cpp); this file registers them and maps exceptions to exit codes (the only place that does).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "commands.hpp"
#include "context.hpp"
#include "exit_codes.hpp"
#include "output.hpp"
#include "version.hpp"
#include "watchbot_progress/config.hpp"
#include "watchbot_progress/watchbot_progress.hpp"

namespace wp = watchbot_progress;

namespace {

// The subcommands, in the order --help lists them. Adding one: declare its setup function in
// commands.hpp and list it here.
constexpr wpcli::SetupFunction kSubcommands[] = {
    wpcli::setup_info,
    wpcli::setup_ls,
    wpcli::setup_pending,
    wpcli::setup_status,
    wpcli::setup_set_total,
    wpcli::setup_set_metadata,
    wpcli::setup_complete_part,
    wpcli::setup_fail_job,
    wpcli::setup_reduce_sent,
    wpcli::setup_create,
    wpcli::setup_watch,
    wpcli::setup_delete,
    wpcli::setup_create_table,
    wpcli::setup_sweep,
    wpcli::setup_monitor,
    wpcli::setup_failed,
    wpcli::setup_worker,
    wpcli::setup_resend,
#if defined(WP_CLI_DASHBOARD) && WP_CLI_DASHBOARD  // set by CMakeLists.txt with WP_WITH_DASHBOARD
    wpcli::setup_serve,
#endif
#if WP_WITH_SQLITE
    wpcli::setup_run,
    wpcli::setup_send,
    wpcli::setup_dead_letters,
    wpcli::setup_queue,
#endif
};

std::string main_footer() {
    std::string text =
        "Environment:\n"
        "  ProgressTable  the database when -d/--database is not given\n"
        "  WorkTopic      the topic for create when --topic is not given\n"
        "  AlertTopic     where worker, run and monitor send alerts when --alert-topic is not given\n"
        "  AWS_REGION, AWS_ACCESS_KEY_ID, ..., AWS_ENDPOINT_URL_DYNAMODB/SNS  for DynamoDB and SNS\n\n"
        "Exit codes:\n";
    for (const auto& entry : wpcli::kExitCodes) {
        char line[64];
        std::snprintf(line, sizeof line, "  %-3d  %-25s ", entry.code, entry.name);
        text += line;
        text += entry.meaning;
        text += '\n';
    }
    text +=
        "\nExamples:\n"
        "  watchbot-progress-cpp info my-job -d redis://localhost:6379/0\n"
        "  watchbot-progress-cpp create parts.jsonl --topic sqlite:///tmp/queue.db -d sqlite:///tmp/jobs.db\n"
        "  watchbot-progress-cpp <command> --help";
    return text;
}

// The first unknown option (a word starting with '-') a subcommand was left with, for an
// ExtrasError; empty otherwise.
std::string unknown_option(const CLI::ParseError& e, const std::vector<CLI::App*>& parsed) {
    if (dynamic_cast<const CLI::ExtrasError*>(&e) == nullptr || parsed.empty()) return {};
    for (const std::string& word : parsed.front()->remaining()) {
        if (word.size() > 1 && word[0] == '-') return word.substr(0, word.find('='));
    }
    return {};
}

// Whether `typed` reads as an abbreviation of `name`: the same first letter, and its letters in
// `name` in order ("db" of "database"), or `name` cut short at its end ("databases").
bool abbreviates(const std::string& typed, const std::string& name) {
    if (typed.empty() || name.empty() || typed[0] != name[0]) return false;
    if (typed.rfind(name, 0) == 0) return true;
    std::size_t at = 0;
    for (const char c : typed) {
        at = name.find(c, at);
        if (at == std::string::npos) return false;
        ++at;
    }
    return true;
}

// ": did you mean --database?" when the subcommand has options that `typed` abbreviates; else empty.
std::string similar_options(const CLI::App& sub, const std::string& typed) {
    std::string bare = typed;
    bare.erase(0, bare.find_first_not_of('-'));
    if (bare.empty()) return {};
    std::vector<std::string> found;
    for (const CLI::Option* option : sub.get_options()) {
        for (const std::string& name : option->get_lnames()) {
            if (abbreviates(bare, name)) found.push_back("--" + name);
        }
    }
    if (found.empty()) return {};
    std::string text = ": did you mean ";
    for (std::size_t i = 0; i < found.size(); ++i) text += (i == 0 ? "" : i + 1 == found.size() ? " or " : ", ") + found[i];
    return text + "?";
}

}  // namespace

int main(int argc, char** argv) {
    wpcli::Context ctx;
    CLI::App app{"Inspect and edit watchbot-progress jobs (map-reduce jobs on ECS watchbot).",
                 "watchbot-progress-cpp"};
    app.set_version_flag("--version", wpcli::version_text());
    app.require_subcommand(1);
    app.footer(main_footer());
    for (const auto setup : kSubcommands) setup(app, ctx);

    if (argc <= 1) {
        std::cerr << app.help();
        return wpcli::kExitUsage;
    }
    try {
        app.parse(argc, argv);
        std::cout.flush();
        if (!std::cout) {
            wpcli::print_error("cannot write to standard output");
            return wpcli::kExitInternal;
        }
        return ctx.exit_code;
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
        std::string help = "watchbot-progress-cpp";
        const auto parsed = app.get_subcommands();
        if (!parsed.empty()) help += " " + parsed.front()->get_name();
        help += " --help";
        if (parsed.empty() && !app.remaining().empty()) {
            const std::string word = app.remaining().front();
            wpcli::print_error((word.rfind('-', 0) == 0 ? "unknown option '" : "unknown command '") + word + "' (see " +
                               help + ")");
        } else if (const std::string option = unknown_option(e, parsed); !option.empty()) {
            wpcli::print_error("unknown option '" + option + "' for " + parsed.front()->get_name() +
                               similar_options(*parsed.front(), option) + " (see " + help + ")");
        } else {
            wpcli::print_error(std::string(e.what()) + " (see " + help + ")");
        }
        return wpcli::kExitUsage;
    } catch (const wpcli::ExitError& e) {
        if (*e.what() != '\0') wpcli::print_error(e.what());
        return e.code();
    } catch (const wp::JobDoesNotExist& e) {
        std::string where = ctx.backend_description.empty() ? std::string() : " in " + ctx.backend_description;
        wpcli::print_error("job '" + e.jobid() + "' does not exist" + where);
        return wpcli::kExitJobFailed;
    } catch (const wp::JobAlreadyExists& e) {
        std::string where = ctx.backend_description.empty() ? std::string() : " in " + ctx.backend_description;
        wpcli::print_error("job '" + e.jobid() + "' already exists" + where +
                           ": choose another job id, or pass --overwrite to replace it");
        return wpcli::kExitUsage;
    } catch (const wp::JobFailed& e) {
        wpcli::print_error(e.what());
        return wpcli::kExitJobFailed;
    } catch (const wp::InvalidInput& e) {
        wpcli::print_error(e.what());
        return wpcli::kExitUsage;
    } catch (const wp::ConfigError& e) {
        wpcli::print_error(e.what());
        return wpcli::kExitConfig;
    } catch (const wp::PublishError& e) {
        wpcli::print_error(e.what());
        return wpcli::kExitPublishPartial;
    } catch (const wp::BackendError& e) {
        wpcli::print_error(e.what());
        return wpcli::kExitBackend;
    } catch (const std::exception& e) {
        wpcli::print_error(e.what());
        return wpcli::kExitInternal;
    }
}
