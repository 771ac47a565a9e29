package ivr

import (
	"time"

	"github.com/hotline10000/hotline/internal/calendar"
	"go.yaml.in/yaml/v3"
)

// parseCalendars reads calendars.yaml:
//
//	calendars:
//	  - name: center
//	    time_zone: Asia/Shanghai
//	    weekly: {mon: ["08:00-18:00"], ...}
//	    holidays: ["2026-10-01"]
//	    workdays: [{date: "2026-10-11", like: mon}]
func (l *Library) parseCalendars(file string, data []byte) []Problem {
	doc, probs := decodeYAML(file, data)
	if doc == nil {
		return probs
	}
	r := &reader{file: file}
	allowed := map[string]bool{"name": true, "time_zone": true, "weekly": true, "holidays": true, "workdays": true}
	r.pairs(doc, "calendars file", func(k string, key, v *yaml.Node) {
		if k != "calendars" {
			r.errf(key, "unknown key %q (want calendars)", k)
			return
		}
		if !r.plain(v) || v.Kind != yaml.SequenceNode {
			r.errf(v, "calendars: want a list")
			return
		}
		for _, item := range v.Content {
			ok := true
			r.pairs(item, "calendar", func(f string, fk, _ *yaml.Node) {
				if !allowed[f] {
					r.errf(fk, "calendar: unknown key %q (want name, time_zone, weekly, holidays, workdays)", f)
					ok = false
				}
			})
			if !ok || item.Kind != yaml.MappingNode {
				continue
			}
			var s calendar.Spec
			if err := item.Decode(&s); err != nil {
				r.errf(item, "calendar: %v", oneLine(err))
				continue
			}
			if _, dup := l.calendars[s.Name]; dup {
				r.errf(item, "calendar %q defined twice", s.Name)
				continue
			}
			c, err := calendar.New(s)
			if err != nil {
				r.errf(item, "calendar %q: %v", s.Name, err)
				continue
			}
			l.calendars[s.Name] = c
		}
	})
	return r.probs
}

// alwaysOpen is a calendar open at every instant.
type alwaysOpen struct{}

func (alwaysOpen) IsOpen(time.Time) bool { return true }

// AlwaysOpen returns a copy of l in which every calendar the flows name
// answers open, 24×7: a demo or test center that must reach its agents at
// any hour without editing the flows. l itself is unchanged.
func (l *Library) AlwaysOpen() *Library {
	c := *l
	c.calendars = make(map[string]Calendar, len(l.calendars))
	for name := range l.calendars {
		c.calendars[name] = alwaysOpen{}
	}
	return &c
}
