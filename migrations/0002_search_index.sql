-- Search index for the R4 search parameters: strings (normalised and as written) and date ranges,
-- beside the token and reference tables of 0001, and the version of the index the rows were built with.
-- Resources stored before this migration lack the new rows: search_index_state then says version 1 and
-- the gateway reindexes (`npm run tfg -- reindex`, or automatically when the Node server starts).

CREATE TABLE search_strings (
  resource_type TEXT NOT NULL,
  id TEXT NOT NULL,
  param TEXT NOT NULL,
  value TEXT NOT NULL,
  exact TEXT NOT NULL
);

CREATE INDEX search_strings_by_value ON search_strings (resource_type, param, value);
CREATE INDEX search_strings_by_owner ON search_strings (resource_type, id);

CREATE TABLE search_dates (
  resource_type TEXT NOT NULL,
  id TEXT NOT NULL,
  param TEXT NOT NULL,
  low TEXT NOT NULL,
  high TEXT NOT NULL
);

CREATE INDEX search_dates_by_low ON search_dates (resource_type, param, low);
CREATE INDEX search_dates_by_owner ON search_dates (resource_type, id);

CREATE TABLE search_index_state (
  name TEXT NOT NULL PRIMARY KEY,
  version INTEGER NOT NULL
);

INSERT INTO search_index_state (name, version)
SELECT 'search', CASE WHEN EXISTS (SELECT 1 FROM resources) THEN 1 ELSE 2 END;
