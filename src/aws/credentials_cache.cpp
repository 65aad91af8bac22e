#include "aws/credentials_cache.hpp"

namespace watchbot_progress::aws {

CachingCredentialsProvider::CachingCredentialsProvider(std::shared_ptr<CredentialsProvider> inner,
                                                       CredentialsCacheOptions options)
    : inner_(std::move(inner)), options_(std::move(options)) {
    if (!inner_) throw ConfigError("CachingCredentialsProvider needs a provider to wrap");
}

TimePoint CachingCredentialsProvider::refresh_point(const Credentials& credentials, TimePoint now) const {
    if (!credentials.expiration) return TimePoint::max();
    const TimePoint expiration = *credentials.expiration;
    if (expiration <= now) return now;
    const auto lifetime = expiration - now;
    const auto margin = std::min<TimePoint::duration>(options_.refresh_before, lifetime / 2);
    return expiration - margin;
}

Credentials CachingCredentialsProvider::get_credentials() {
    std::unique_lock lock(mutex_);
    for (;;) {
        TimePoint now = options_.clock();
        if (cached_ && now < refresh_at_) return *cached_;
        const bool still_valid = cached_ && (!cached_->expiration || now < *cached_->expiration);
        if (still_valid && now < retry_not_before_) return *cached_;
        if (refreshing_) {
            if (still_valid) return *cached_;
            const std::uint64_t generation = generation_;
            refreshed_.wait(lock, [&] { return !refreshing_; });
            if (generation_ != generation && last_error_) std::rethrow_exception(last_error_);
            continue;
        }

        refreshing_ = true;
        lock.unlock();
        std::optional<Credentials> fresh;
        std::exception_ptr error;
        try {
            fresh = inner_->get_credentials();
        } catch (...) {
            error = std::current_exception();
        }
        lock.lock();
        refreshing_ = false;
        ++generation_;
        now = options_.clock();
        if (error) {
            last_error_ = error;
            retry_not_before_ = now + options_.retry_after_failure;
            refreshed_.notify_all();
            if (cached_ && (!cached_->expiration || now < *cached_->expiration)) return *cached_;
            std::rethrow_exception(error);
        }
        last_error_ = nullptr;
        retry_not_before_ = TimePoint{};
        cached_ = std::move(fresh);
        refresh_at_ = refresh_point(*cached_, now);
        refreshed_.notify_all();
        return *cached_;
    }
}

void CachingCredentialsProvider::invalidate() {
    std::lock_guard lock(mutex_);
    cached_.reset();
    refresh_at_ = TimePoint{};
    retry_not_before_ = TimePoint{};
}

}  // namespace watchbot_progress::aws
