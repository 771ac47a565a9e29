// Package metrics turns the event stream into the 23 monitoring KPIs of
// the 10000 hotline (docs/metrics.md, the definitions in KPIS.md): service
// level, efficiency, quality and marketing, per queue × channel and
// center-wide, over the current 15-minute interval, the last hour and
// today (calendar day in the center's time zone).
//
// Engine is the pure KPI arithmetic: it applies events (acd, ivr, desk,
// ticket and the imported inputs of input.go) with their own timestamps
// and answers reads at an instant given by the caller; it does no I/O and
// reads no clock. Runner owns one Engine in one goroutine, feeds it from
// the bus (WaitUpTo: no silent loss) after rebuilding today from the
// stored event log, and serves the KPI API and the Prometheus collector.
// The batch KPIs (SQ01, SQ02, SQ04, SQ05, SQ06) are computed per day by
// Batch from the stored log (`hotline kpi run --day`).
package metrics
