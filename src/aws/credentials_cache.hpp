#pragma once
// Caches another provider's credentials and refreshes them before they expire.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>

#include "aws/clock.hpp"
#include "aws/credentials.hpp"

namespace watchbot_progress::aws {

struct CredentialsCacheOptions {
    // Refresh this long before expiration (or halfway through the remaining lifetime when the
    // credentials live shorter than twice this).
    std::chrono::seconds refresh_before{300};
    // After a failed refresh while the old credentials are still valid, keep serving those and
    // do not call the provider again for this long.
    std::chrono::seconds retry_after_failure{10};
    Clock clock = system_clock_now;
};

// Credentials without an expiration are fetched once and kept. Temporary credentials are
// refreshed when the refresh point passes.
//
// Thread safety: get_credentials() may be called from any number of threads; at most one of them
// calls the inner provider at a time. While a refresh runs, callers get the cached credentials if
// they have not expired yet, else wait for the refresh; if that refresh fails, the waiters get its
// exception instead of calling the provider again (no stampede on a failing endpoint).
class CachingCredentialsProvider : public CredentialsProvider {
public:
    explicit CachingCredentialsProvider(std::shared_ptr<CredentialsProvider> inner, CredentialsCacheOptions options = {});
    Credentials get_credentials() override;
    std::string name() const override { return inner_->name(); }

    // Forgets the cached credentials, so the next call fetches (e.g. after an ExpiredToken error).
    void invalidate() override;

private:
    TimePoint refresh_point(const Credentials& credentials, TimePoint now) const;

    const std::shared_ptr<CredentialsProvider> inner_;
    const CredentialsCacheOptions options_;

    std::mutex mutex_;
    std::condition_variable refreshed_;
    std::optional<Credentials> cached_;
    TimePoint refresh_at_{};
    TimePoint retry_not_before_{};
    bool refreshing_ = false;
    std::uint64_t generation_ = 0;
    std::exception_ptr last_error_;
};

}  // namespace watchbot_progress::aws
