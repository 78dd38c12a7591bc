-- Type and system history (GET [base]/_history, [base]/{type}/_history): versions newest first, paged by key.
CREATE INDEX resource_versions_by_updated ON resource_versions (last_updated);
CREATE INDEX resource_versions_by_type_updated ON resource_versions (resource_type, last_updated);
