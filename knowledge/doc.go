// Package knowledge holds the knowledge base: the articles agents and
// customers rely on (tariffs, fault procedures, policies), their editorial
// life (draft → review → published → archived, versions, restore, linked
// zh/en versions) kept in the SQL store, and search over them through one
// Index interface with two backends: an embedded bleve index (the default,
// no server) and Meilisearch. Changes are published on the event bus.
package knowledge
