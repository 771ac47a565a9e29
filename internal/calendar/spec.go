package calendar

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // zones load without /usr/share/zoneinfo
)

// Spec is the human-written form of a calendar (YAML or config).
type Spec struct {
	Name     string              `yaml:"name" json:"name"`
	TimeZone string              `yaml:"time_zone" json:"time_zone"` // IANA, e.g. "Asia/Shanghai"
	Weekly   map[string][]string `yaml:"weekly" json:"weekly"`       // "mon".."sun" -> ["08:00-12:00", "13:30-18:00"]; "00:00-24:00" = all day
	Holidays []string            `yaml:"holidays" json:"holidays"`   // "2026-10-01": closed all day (dates in TimeZone)
	Workdays []Workday           `yaml:"workdays" json:"workdays"`   // make-up working days: open although weekend
}

// Workday is a make-up working day: on Date the calendar has the weekly
// hours of Like instead of its own (usually none, a weekend). A Workday may
// fall on any date; its hours replace that date's weekly hours.
type Workday struct {
	Date string `yaml:"date" json:"date"`           // "2026-10-11"
	Like string `yaml:"like" json:"like,omitempty"` // weekday whose hours apply, default "mon"
}

// weekdayKeys are the Spec.Weekly keys, in the order errors are reported.
var weekdayKeys = [7]struct {
	key string
	day time.Weekday
}{
	{"mon", time.Monday}, {"tue", time.Tuesday}, {"wed", time.Wednesday},
	{"thu", time.Thursday}, {"fri", time.Friday}, {"sat", time.Saturday},
	{"sun", time.Sunday},
}

func parseWeekday(s string) (time.Weekday, bool) {
	for _, k := range weekdayKeys {
		if k.key == s {
			return k.day, true
		}
	}
	return 0, false
}

// New validates s and compiles it. Every problem is reported (joined); each is
// a *SpecError naming the field and the value, and matches ErrInvalidSpec.
// A Spec with no open time at all is valid: see Add and NextOpen.
func New(s Spec) (*Calendar, error) {
	v := validator{name: s.Name}
	c := &Calendar{
		name:     s.Name,
		holidays: map[int64]struct{}{},
		workdays: map[int64]time.Weekday{},
	}
	if strings.TrimSpace(s.Name) == "" {
		v.fail("name", s.Name, "required", nil)
	}
	c.loc = v.location(s.TimeZone)
	v.weekly(s.Weekly, &c.weekly)

	holidayAt := map[int64]int{}
	for i, h := range s.Holidays {
		field := fmt.Sprintf("holidays[%d]", i)
		day, ok := v.date(field, h)
		if !ok {
			continue
		}
		if j, dup := holidayAt[day]; dup {
			v.fail(field, h, fmt.Sprintf("duplicate of holidays[%d]", j), nil)
			continue
		}
		holidayAt[day] = i
		c.holidays[day] = struct{}{}
		c.noteSpecial(day)
	}
	workdayAt := map[int64]int{}
	for i, w := range s.Workdays {
		field := fmt.Sprintf("workdays[%d]", i)
		like := time.Monday
		if w.Like != "" {
			wd, ok := parseWeekday(w.Like)
			if !ok {
				v.fail(field+".like", w.Like, "unknown weekday (want mon, tue, wed, thu, fri, sat or sun)", nil)
				continue
			}
			like = wd
		}
		if len(c.weekly[like]) == 0 && v.weeklyOK {
			v.fail(field+".like", w.Like, fmt.Sprintf("%s has no weekly hours", keyOf(like)), nil)
			continue
		}
		day, ok := v.date(field+".date", w.Date)
		if !ok {
			continue
		}
		if j, dup := workdayAt[day]; dup {
			v.fail(field+".date", w.Date, fmt.Sprintf("duplicate of workdays[%d]", j), nil)
			continue
		}
		if j, hol := holidayAt[day]; hol {
			v.fail(field+".date", w.Date, fmt.Sprintf("also a holiday (holidays[%d])", j), nil)
			continue
		}
		workdayAt[day] = i
		c.workdays[day] = like
		c.noteSpecial(day)
	}
	if err := errors.Join(v.errs...); err != nil {
		return nil, err
	}
	for _, ps := range c.weekly {
		if len(ps) > 0 {
			c.hasWeekly = true
		}
	}
	return c, nil
}

func keyOf(d time.Weekday) string {
	for _, k := range weekdayKeys {
		if k.day == d {
			return k.key
		}
	}
	return d.String()
}

type validator struct {
	name     string
	errs     []error
	weeklyOK bool
}

func (v *validator) fail(field, value, reason string, err error) {
	v.errs = append(v.errs, &SpecError{Calendar: v.name, Field: field, Value: value, Reason: reason, Err: err})
}

func (v *validator) location(tz string) *time.Location {
	switch tz {
	case "":
		v.fail("time_zone", tz, "required (IANA name, e.g. Asia/Shanghai)", nil)
		return time.UTC
	case "Local":
		v.fail("time_zone", tz, "the machine's zone is not allowed, name an IANA zone", nil)
		return time.UTC
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		v.fail("time_zone", tz, "unknown time zone", err)
		return time.UTC
	}
	return loc
}

func (v *validator) date(field, s string) (int64, bool) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		v.fail(field, s, "want a date YYYY-MM-DD", nil)
		return 0, false
	}
	y, m, d := t.Date()
	return civilDay(y, m, d), true
}

// weekly parses every weekday's periods into out, sorted by start.
func (v *validator) weekly(w map[string][]string, out *[7][]period) {
	before := len(v.errs)
	var unknown []string
	for k := range w {
		if _, ok := parseWeekday(k); !ok {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		v.fail("weekly", k, "unknown weekday (want mon, tue, wed, thu, fri, sat or sun)", nil)
	}
	for _, k := range weekdayKeys {
		type indexed struct {
			period
			i int
		}
		var ps []indexed
		for i, s := range w[k.key] {
			field := fmt.Sprintf("weekly.%s[%d]", k.key, i)
			p, reason := parsePeriod(s)
			if reason != "" {
				v.fail(field, s, reason, nil)
				continue
			}
			ps = append(ps, indexed{p, i})
		}
		slices.SortFunc(ps, func(a, b indexed) int { return int(a.start - b.start) })
		for j := 1; j < len(ps); j++ {
			prev, cur := ps[j-1], ps[j]
			if cur.start < prev.end {
				// Name the later-written one; it is the one to fix.
				a, b := prev, cur
				if a.i > b.i {
					a, b = b, a
				}
				v.fail(fmt.Sprintf("weekly.%s[%d]", k.key, b.i), w[k.key][b.i],
					fmt.Sprintf("overlaps %q (weekly.%s[%d])", w[k.key][a.i], k.key, a.i), nil)
			}
		}
		for _, p := range ps {
			out[k.day] = append(out[k.day], p.period)
		}
	}
	v.weeklyOK = len(v.errs) == before
}

// parsePeriod parses "HH:MM-HH:MM"; reason is "" on success.
func parsePeriod(s string) (period, string) {
	const want = "want HH:MM-HH:MM"
	from, to, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return period{}, want
	}
	start, ok1 := parseClock(strings.TrimSpace(from))
	end, ok2 := parseClock(strings.TrimSpace(to))
	switch {
	case !ok1 || !ok2:
		return period{}, want
	case start == minutesPerDay:
		return period{}, "start 24:00 is not a time of the day"
	case end == start:
		return period{}, "empty period (start equals end)"
	case end == 0:
		return period{}, "end before start (write 24:00 for midnight)"
	case end < start:
		return period{}, "end before start"
	}
	return period{start: start, end: end}, ""
}

// parseClock parses "H:MM" or "HH:MM", 00:00 to 24:00, into minutes.
func parseClock(s string) (int32, bool) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return 0, false
	}
	hh, ok1 := digits(h)
	mm, ok2 := digits(m)
	if !ok1 || !ok2 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, false
	}
	return hh*60 + mm, true
}

func digits(s string) (int32, bool) {
	var n int32
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int32(s[i]-'0')
	}
	return n, true
}
