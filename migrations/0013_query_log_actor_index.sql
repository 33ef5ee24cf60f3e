-- Daily budgets count a caller's recent query-log entries (refused identity checks of publishers, birth-date
-- mismatches of roster uploads): an index by caller, so that count does not scan the whole log.
CREATE INDEX query_log_actor ON query_log (actor_role, actor_org, queried_at);
