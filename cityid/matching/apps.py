from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "cityid.matching"
    label = "matching"

    def ready(self) -> None:
        from cityid.core.backends import register_part
        from cityid.matching import messages
        from cityid.matching.backend import MatcherBackend
        from cityid.matching.labels import register_labels

        register_part(setting="CITYID_MATCHER_BACKEND", protocol=MatcherBackend,
                      aliases={"memory": "cityid.matching.memory.MemoryIndex"})
        register_labels()
        messages.register()
        self._register_hooks()

    def _register_hooks(self) -> None:
        from cityid.enrollment import services as enrollment_services
        from cityid.enrollment.submission_checks import register_submission_check
        from cityid.matching import selectors, services
        from cityid.vault.services import register_key_listener

        # Enrollment and the vault, below matching, know nothing of it: these hooks check every submission, keep
        # the candidate index current, refuse approvals an analyst must decide first, let an analyst read the
        # applicants of an open alert, and drop a destroyed key's people from the index at once.
        register_submission_check(services.submission_check)
        enrollment_services.register_on_enrolled(services.on_enrolled)
        enrollment_services.register_approval_check(services.approval_check)
        enrollment_services.register_on_approval(services.on_approval)
        enrollment_services.register_access_reason("match_alert", selectors.alert_allows)
        register_key_listener(destroyed=services.forget_key, moved=services.records_moved)
