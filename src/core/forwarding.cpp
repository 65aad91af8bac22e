#include "watchbot_progress/forwarding.hpp"

#include "watchbot_progress/errors.hpp"

namespace watchbot_progress {

ForwardingBackend::ForwardingBackend(std::shared_ptr<Backend> target) : target_(std::move(target)) {
    if (!target_) throw InvalidInput("ForwardingBackend needs a backend to forward to");
}
void ForwardingBackend::do_set_total(const std::string& jobid, std::int64_t total, bool overwrite) {
    target_->set_total(jobid, total, overwrite);
}
void ForwardingBackend::do_set_metadata(const std::string& jobid, const nlohmann::json& metadata) {
    target_->set_metadata(jobid, metadata);
}
void ForwardingBackend::do_check_metadata(const nlohmann::json& metadata) const { target_->check_metadata(metadata); }
bool ForwardingBackend::do_complete_part(const std::string& jobid, PartId partid) { return target_->complete_part(jobid, partid); }
std::optional<ClaimToken> ForwardingBackend::do_claim_reduce(const std::string& jobid) { return target_->claim_reduce(jobid); }
void ForwardingBackend::do_release_reduce(const std::string& jobid, const ClaimToken& token) {
    target_->release_reduce(jobid, token);
}
bool ForwardingBackend::do_confirm_reduce(const std::string& jobid, const ClaimToken& token) {
    return target_->confirm_reduce(jobid, token);
}
std::optional<ClaimToken> ForwardingBackend::do_reclaim_reduce(const std::string& jobid, std::chrono::milliseconds lease) {
    return target_->reclaim_reduce(jobid, lease);
}
std::optional<std::string> ForwardingBackend::do_failure_reason(const std::string& jobid) {
    return target_->failure_reason(jobid);
}
ReduceClaimState ForwardingBackend::do_reduce_claim_state(const std::string& jobid) {
    return target_->reduce_claim_state(jobid);
}
std::int64_t ForwardingBackend::do_record_failed_part(const std::string& jobid, PartId partid) {
    return target_->record_failed_part(jobid, partid);
}
std::vector<PartId> ForwardingBackend::do_list_failed_parts(const std::string& jobid) {
    return target_->list_failed_parts(jobid);
}
bool ForwardingBackend::do_record_part_failure(const std::string& jobid, const PartFailure& failure) {
    return target_->record_part_failure(jobid, failure);
}
std::vector<PartFailure> ForwardingBackend::do_list_part_failures(const std::string& jobid) {
    return target_->list_part_failures(jobid);
}
CompletionResult ForwardingBackend::do_complete_part_and_claim_reduce(const std::string& jobid, PartId partid) {
    return target_->complete_part_and_claim_reduce(jobid, partid);
}
void ForwardingBackend::do_fail_job(const std::string& jobid, const std::string& reason) { target_->fail_job(jobid, reason); }
JobStatus ForwardingBackend::do_status(const std::string& jobid) { return target_->status(jobid); }
bool ForwardingBackend::do_part_complete(const std::string& jobid, PartId partid) { return target_->part_complete(jobid, partid); }
std::optional<std::string> ForwardingBackend::do_check_part(const std::string& jobid, PartId partid) {
    return target_->check_part(jobid, partid);
}
JobFacts ForwardingBackend::do_check_part_facts(const std::string& jobid, PartId partid) {
    return target_->check_part_facts(jobid, partid);
}
void ForwardingBackend::do_assume_job_facts(const std::string& jobid, const JobFacts& facts) {
    target_->assume_job_facts(jobid, facts);
}
std::vector<PartId> ForwardingBackend::do_list_pending_parts(const std::string& jobid) {
    return target_->list_pending_parts(jobid);
}
void ForwardingBackend::do_list_jobs(const std::function<void(const JobStatus&)>& visit) { target_->list_jobs(visit); }
bool ForwardingBackend::do_delete_job(const std::string& jobid) { return target_->delete_job(jobid); }
bool ForwardingBackend::do_claim_alert(const std::string& jobid, AlertState state) {
    return target_->claim_alert(jobid, state);
}
void ForwardingBackend::do_release_alert(const std::string& jobid, AlertState state) { target_->release_alert(jobid, state); }
void ForwardingBackend::do_record_reduce_repair(const std::string& jobid) { target_->record_reduce_repair(jobid); }
std::string ForwardingBackend::describe() const { return target_->describe(); }
BackendStats ForwardingBackend::stats() const { return target_->stats(); }

ForwardingNotifier::ForwardingNotifier(std::shared_ptr<Notifier> target) : target_(std::move(target)) {
    if (!target_) throw InvalidInput("ForwardingNotifier needs a notifier to forward to");
}
void ForwardingNotifier::do_publish(const std::string& subject, const std::string& body) { target_->publish(subject, body); }
void ForwardingNotifier::do_publish_batch(std::span<const OutgoingMessage> messages) { target_->publish_batch(messages); }
NotifierLimits ForwardingNotifier::limits() const { return target_->limits(); }
void ForwardingNotifier::do_check_message(const std::string& subject, const std::string& body) const {
    target_->check_message(subject, body);
}
void ForwardingNotifier::do_check_ready() { target_->check_ready(); }
std::string ForwardingNotifier::describe() const { return target_->describe(); }

}  // namespace watchbot_progress
