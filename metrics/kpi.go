package metrics

import (
	"fmt"
	"strconv"
	"strings"
)

// Category is one of the four groups of the 23 KPIs.
type Category string

// Categories.
const (
	CategoryServiceLevel Category = "service_level"
	CategoryEfficiency   Category = "efficiency"
	CategoryQuality      Category = "quality"
	CategoryMarketing    Category = "marketing"
)

// Kind says how a KPI is computed.
type Kind string

// Kinds.
const (
	Ratio Kind = "ratio" // live: numerator / denominator over a window
	Gauge Kind = "gauge" // live: exact at read time
	Batch Kind = "batch" // per day, from the stored log (Batch)
)

// Unit says how to read a KPI's value.
type Unit string

// Units.
const (
	Fraction     Unit = "fraction"      // 0..1, shown as a percentage
	Seconds      Unit = "seconds"       // a duration
	Count        Unit = "count"         // contacts
	PerHour      Unit = "per_hour"      // contacts per agent-hour
	PerAgentDay  Unit = "per_agent_day" // sales per 8 staffed hours
	PerTenThousd Unit = "per_10000"     // complaints per 10 000 answered
)

// Definition describes one KPI.
type Definition struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	NameZH   string   `json:"name_zh"`
	Category Category `json:"category"`
	Kind     Kind     `json:"kind"`
	Unit     Unit     `json:"unit"`
	// CenterOnly KPIs are measured from agent time, which belongs to no
	// queue or channel: they have values only center-wide.
	CenterOnly bool `json:"center_only,omitempty"`
}

// Definitions lists the 23 KPIs in their order (KPIS.md).
var Definitions = []Definition{
	{ID: "SL01", Name: "Agent answer rate", NameZH: "人工接通率", Category: CategoryServiceLevel, Kind: Ratio, Unit: Fraction},
	{ID: "SL02", Name: "Service level", NameZH: "N秒接通率", Category: CategoryServiceLevel, Kind: Ratio, Unit: Fraction},
	{ID: "SL03", Name: "Abandon rate", NameZH: "人工放弃率", Category: CategoryServiceLevel, Kind: Ratio, Unit: Fraction},
	{ID: "SL04", Name: "Average speed of answer", NameZH: "平均应答速度", Category: CategoryServiceLevel, Kind: Ratio, Unit: Seconds},
	{ID: "SL05", Name: "Contacts in queue", NameZH: "当前排队量", Category: CategoryServiceLevel, Kind: Gauge, Unit: Count},
	{ID: "SL06", Name: "Longest current wait", NameZH: "最长等待时长", Category: CategoryServiceLevel, Kind: Gauge, Unit: Seconds},
	{ID: "EF01", Name: "Average handle time", NameZH: "平均处理时长", Category: CategoryEfficiency, Kind: Ratio, Unit: Seconds},
	{ID: "EF02", Name: "Average after-contact work", NameZH: "平均话后处理时长", Category: CategoryEfficiency, Kind: Ratio, Unit: Seconds},
	{ID: "EF03", Name: "Occupancy", NameZH: "坐席占用率", Category: CategoryEfficiency, Kind: Ratio, Unit: Fraction, CenterOnly: true},
	{ID: "EF04", Name: "Log-in utilisation", NameZH: "工时利用率", Category: CategoryEfficiency, Kind: Ratio, Unit: Fraction, CenterOnly: true},
	{ID: "EF05", Name: "Contacts per agent-hour", NameZH: "人均小时接话量", Category: CategoryEfficiency, Kind: Ratio, Unit: PerHour, CenterOnly: true},
	{ID: "EF06", Name: "IVR self-service share", NameZH: "自助服务占比", Category: CategoryEfficiency, Kind: Ratio, Unit: Fraction},
	{ID: "SQ01", Name: "First-contact resolution", NameZH: "人工一次解决率", Category: CategoryQuality, Kind: Batch, Unit: Fraction},
	{ID: "SQ02", Name: "Repeat-contact rate", NameZH: "重复来电率", Category: CategoryQuality, Kind: Batch, Unit: Fraction},
	{ID: "SQ03", Name: "Post-contact satisfaction", NameZH: "即时满意率", Category: CategoryQuality, Kind: Ratio, Unit: Fraction},
	{ID: "SQ04", Name: "Quality-inspection pass rate", NameZH: "质检合格率", Category: CategoryQuality, Kind: Batch, Unit: Fraction},
	{ID: "SQ05", Name: "Complaint tickets on time", NameZH: "投诉工单处理及时率", Category: CategoryQuality, Kind: Batch, Unit: Fraction},
	{ID: "SQ06", Name: "Service-complaint rate", NameZH: "服务投诉率", Category: CategoryQuality, Kind: Batch, Unit: PerTenThousd},
	{ID: "MK01", Name: "Offer rate", NameZH: "营销推荐率", Category: CategoryMarketing, Kind: Ratio, Unit: Fraction},
	{ID: "MK02", Name: "Inbound conversion", NameZH: "呼入营销成功率", Category: CategoryMarketing, Kind: Ratio, Unit: Fraction},
	{ID: "MK03", Name: "Sales per agent-day", NameZH: "人均营销成功量", Category: CategoryMarketing, Kind: Ratio, Unit: PerAgentDay, CenterOnly: true},
	{ID: "MK04", Name: "Outbound contact rate", NameZH: "外呼接通率", Category: CategoryMarketing, Kind: Ratio, Unit: Fraction},
	{ID: "MK05", Name: "Outbound sales success", NameZH: "外呼营销成功率", Category: CategoryMarketing, Kind: Ratio, Unit: Fraction},
}

// Lookup returns the definition of id.
func Lookup(id string) (Definition, bool) {
	for _, d := range Definitions {
		if d.ID == id {
			return d, true
		}
	}
	return Definition{}, false
}

// Target is a KPI's goal: a floor (Min), a ceiling (Max) or a band (both).
// Warn is the level at which a gauge turns amber before it breaches (SL06:
// warn 60 s, critical 120 s); zero: no amber.
type Target struct {
	Min, Max *float64
	Warn     *float64
}

// Status is how a value stands against its target.
type Status string

// Statuses.
const (
	StatusOK     Status = "ok"
	StatusWarn   Status = "warn"
	StatusBreach Status = "breach"
	StatusNone   Status = "no_target"
	StatusNoData Status = "no_data"
)

// Judge places v against t.
func (t Target) Judge(v float64) Status {
	if t.Min == nil && t.Max == nil {
		return StatusNone
	}
	if (t.Min != nil && v < *t.Min) || (t.Max != nil && v > *t.Max) {
		return StatusBreach
	}
	if t.Warn != nil && t.Max != nil && v > *t.Warn {
		return StatusWarn
	}
	if t.Warn != nil && t.Min != nil && t.Max == nil && v < *t.Warn {
		return StatusWarn
	}
	return StatusOK
}

// String renders t as in KPIS.md: ">= 0.9", "<= 10", "0.8..0.9".
func (t Target) String() string {
	f := func(p *float64) string { return strconv.FormatFloat(*p, 'g', -1, 64) }
	switch {
	case t.Min != nil && t.Max != nil:
		return f(t.Min) + ".." + f(t.Max)
	case t.Min != nil:
		return ">=" + f(t.Min)
	case t.Max != nil:
		return "<=" + f(t.Max)
	}
	return ""
}

// Targets maps "ID" or "ID/channel" to a target; the channel entry wins.
type Targets map[string]Target

// For returns the target of a KPI on a channel ("" center-wide).
func (ts Targets) For(id, channel string) (Target, bool) {
	if channel != "" {
		if t, ok := ts[id+"/"+channel]; ok {
			return t, true
		}
	}
	t, ok := ts[id]
	return t, ok
}

func pf(v float64) *float64 { return &v }

// DefaultTargets are the defaults of KPIS.md. Configuration overrides
// them (ParseTargets); the code holds no other goal.
func DefaultTargets() Targets {
	return Targets{
		"SL01":      {Min: pf(0.90)},
		"SL02":      {Min: pf(0.80)},
		"SL02/chat": {Min: pf(0.90)},
		"SL03":      {Max: pf(0.10)},
		"SL04":      {Max: pf(15)},
		"SL06":      {Max: pf(120), Warn: pf(60)},
		"EF01":      {Min: pf(180), Max: pf(300)},
		"EF02":      {Max: pf(30)},
		"EF03":      {Min: pf(0.80), Max: pf(0.90)},
		"EF04":      {Min: pf(0.90)},
		"SQ01":      {Min: pf(0.85)},
		"SQ02":      {Max: pf(0.05)},
		"SQ03":      {Min: pf(0.95)},
		"SQ04":      {Min: pf(0.95)},
		"SQ05":      {Min: pf(0.95)},
		"SQ06":      {Max: pf(1)},
		"MK01":      {Min: pf(0.30)},
		"MK02":      {Min: pf(0.10)},
		"MK04":      {Min: pf(0.60)},
		"MK05":      {Min: pf(0.08)},
	}
}

// ParseTargets reads overrides of the form "SL02/voice=>=0.85",
// "EF03=0.8..0.92", "SL04=<=20", "EF05=none" (drops a target) on top of
// base, naming the entry at fault.
func ParseTargets(base Targets, entries []string) (Targets, error) {
	out := Targets{}
	for k, v := range base {
		out[k] = v
	}
	for _, e := range entries {
		key, val, ok := strings.Cut(e, "=")
		if !ok {
			return nil, fmt.Errorf("target %q: want ID[/channel]=>=N, <=N, N..M or none", e)
		}
		id, ch, _ := strings.Cut(key, "/")
		if _, known := Lookup(id); !known {
			return nil, fmt.Errorf("target %q: unknown KPI %q", e, id)
		}
		if ch != "" && ch != "voice" && ch != "chat" {
			return nil, fmt.Errorf("target %q: channel %q is not voice or chat", e, ch)
		}
		num := func(s string) (*float64, error) {
			f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil {
				return nil, fmt.Errorf("target %q: %q is not a number", e, s)
			}
			return &f, nil
		}
		var t Target
		var err error
		switch val = strings.TrimSpace(val); {
		case val == "none":
			delete(out, key)
			continue
		case strings.HasPrefix(val, ">="):
			t.Min, err = num(val[2:])
		case strings.HasPrefix(val, "<="):
			t.Max, err = num(val[2:])
		case strings.Contains(val, ".."):
			lo, hi, _ := strings.Cut(val, "..")
			if t.Min, err = num(lo); err == nil {
				t.Max, err = num(hi)
			}
		default:
			err = fmt.Errorf("target %q: want >=N, <=N, N..M or none", e)
		}
		if err != nil {
			return nil, err
		}
		if old, ok := out[key]; ok {
			t.Warn = old.Warn
		}
		out[key] = t
	}
	return out, nil
}
