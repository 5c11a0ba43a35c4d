// The "tessera.tracker" error category (tracker_errc in tracker.hpp).
#include "discovery/tracker.hpp"

namespace tessera::detail {

namespace {
class tracker_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tessera.tracker"; }
  std::string message(int ev) const override {
    switch (static_cast<tracker_errc>(ev)) {
      case tracker_errc::failure_reason: return "tracker sent a failure reason";
      case tracker_errc::bad_response: return "malformed tracker response";
      case tracker_errc::http_status: return "tracker answered with an HTTP error status";
      case tracker_errc::timeout: return "tracker did not answer in time";
      case tracker_errc::unsupported_url: return "unsupported or unparsable tracker URL";
      case tracker_errc::udp_error: return "UDP tracker sent an error";
      case tracker_errc::resolve_failed: return "tracker host name did not resolve";
      case tracker_errc::redirect_refused: return "tracker redirect refused";
    }
    return "unknown tracker error";
  }
};
}  // namespace

const std::error_category& tracker_category() noexcept {
  static const tracker_category_impl category;
  return category;
}

}  // namespace tessera::detail
