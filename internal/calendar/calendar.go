package calendar

import (
	"iter"
	"math"
	"time"
)

// HorizonDays bounds Add: if d of open time is not reached within this many
// days after t, Add gives up and returns the zero Time. Ten years is far
// beyond any SLA and keeps a pathological call (a calendar open one minute a
// week, d of a century) from running for seconds.
const HorizonDays = 3660

// period is an open period of a day in minutes since local midnight,
// start < end <= 24:00.
type period struct{ start, end int32 }

// Calendar is a compiled business-hours calendar. It is immutable and safe
// for concurrent use. Build one with New or Always; the zero Calendar is not
// usable.
//
// Instants returned by its methods are in the calendar's Location and carry
// no monotonic clock reading; compare them with Time.Equal.
type Calendar struct {
	name string
	loc  *time.Location

	weekly   [7][]period // by time.Weekday, sorted by start, not overlapping
	holidays map[int64]struct{}
	workdays map[int64]time.Weekday // date -> weekday whose hours apply

	// Days in [firstSpecial, lastSpecial] may be holidays or workdays;
	// outside, only the weekly hours apply and the maps are not consulted.
	hasSpecial                bool
	firstSpecial, lastSpecial int64

	// hasWeekly: some weekday has open time. Without it the calendar is
	// never open (a make-up day borrows a weekday's hours, so New refuses
	// make-up days then).
	hasWeekly bool
}

// Always returns a calendar open around the clock every day, in UTC, named
// "always" (for tests and as a default).
func Always() *Calendar {
	all := []period{{0, minutesPerDay}}
	c := &Calendar{name: "always", loc: time.UTC, hasWeekly: true}
	for d := range c.weekly {
		c.weekly[d] = all
	}
	return c
}

// Name returns Spec.Name.
func (c *Calendar) Name() string { return c.name }

// Location returns the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

func (c *Calendar) noteSpecial(day int64) {
	if !c.hasSpecial {
		c.hasSpecial, c.firstSpecial, c.lastSpecial = true, day, day
		return
	}
	c.firstSpecial = min(c.firstSpecial, day)
	c.lastSpecial = max(c.lastSpecial, day)
}

// periodsOn returns the open periods of a civil day.
func (c *Calendar) periodsOn(day int64) []period {
	if c.hasSpecial && day >= c.firstSpecial && day <= c.lastSpecial {
		if _, ok := c.holidays[day]; ok {
			return nil
		}
		if like, ok := c.workdays[day]; ok {
			return c.weekly[like]
		}
	}
	return c.weekly[weekdayOf(day)]
}

// at is the instant the wall clock of the calendar's zone reads minute on
// day (y-m-d); minute 24:00 is the next midnight. A wall time skipped by a
// forward DST jump maps to the instant of the jump: a period "01:00-02:30"
// on a night the clock leaps from 02:00 to 03:00 ends at the leap, and a
// period wholly inside the skipped hour is empty. (time.Date alone would move
// such a time an hour back, into the period before.) A repeated wall time
// maps to its first occurrence, as time.Date does.
func (c *Calendar) at(day int64, y int, m time.Month, d int, minute int32) time.Time {
	t := time.Date(y, m, d, 0, int(minute), 0, 0, c.loc)
	if c.loc == time.UTC {
		return t
	}
	ty, tm, td := t.Date()
	th, tmin, _ := t.Clock()
	got := civilDay(ty, tm, td)*minutesPerDay + int64(th*60+tmin)
	want := day*minutesPerDay + int64(minute)
	if got == want {
		return t
	}
	start, end := t.ZoneBounds()
	if got < want {
		return end
	}
	return start
}

// localDay returns the civil day of t in the calendar's zone.
func (c *Calendar) localDay(t time.Time) int64 {
	y, m, d := t.In(c.loc).Date()
	return civilDay(y, m, d)
}

// lastOpenDay is the last day that can have open time: MaxInt64 if weekly
// hours repeat forever, MinInt64 if the calendar is never open.
func (c *Calendar) lastOpenDay() int64 {
	if c.hasWeekly {
		return math.MaxInt64
	}
	return math.MinInt64
}

// searchEnd is the last day NextOpen and NextClose look at when starting on
// day: a week past every special date, the weekly pattern only repeats.
func (c *Calendar) searchEnd(day int64) int64 {
	if !c.hasWeekly {
		return c.lastOpenDay()
	}
	end := day
	if c.hasSpecial {
		end = max(end, c.lastSpecial)
	}
	return end + 8
}

// The walks below visit a day's periods in order and keep a cursor: each
// period is clamped to start no earlier than where the previous one ended.
// A period normally starts after the previous one; the clamp only matters
// around DST jumps, where it keeps open time from being counted twice, and
// it makes Add, Between, NextOpen and IsOpen agree on the same intervals.
// Walks start a day early so a period of the previous day is never missed.

// IsOpen reports whether t lies in an open period (start inclusive, end
// exclusive).
func (c *Calendar) IsOpen(t time.Time) bool {
	day := c.localDay(t)
	for dd := day - 1; dd <= day; dd++ {
		ps := c.periodsOn(dd)
		if len(ps) == 0 {
			continue
		}
		y, m, d := civilDate(dd)
		for _, p := range ps {
			if !t.Before(c.at(dd, y, m, d, p.start)) && t.Before(c.at(dd, y, m, d, p.end)) {
				return true
			}
		}
	}
	return false
}

// NextOpen returns t itself if the calendar is open at t, otherwise the start
// of the next open period; the zero Time if the calendar never opens again.
func (c *Calendar) NextOpen(t time.Time) time.Time {
	t = t.Round(0).In(c.loc)
	for s := range c.spans(t, c.searchEnd(c.localDay(t))) {
		return s
	}
	return time.Time{}
}

// NextClose returns the end of the open time containing t, following
// periods that touch (e.g. "08:00-12:00" then "12:00-18:00", or "00:00-24:00"
// on consecutive days) as one; t itself if the calendar is closed at t; the
// zero Time if it is open at t and never closes again (e.g. Always).
func (c *Calendar) NextClose(t time.Time) time.Time {
	t = t.Round(0).In(c.loc)
	first := c.localDay(t) - 1
	last := c.searchEnd(first + 1)
	cursor, open := t, false
	for day := first; day <= last; day++ {
		ps := c.periodsOn(day)
		if len(ps) == 0 {
			if open {
				return cursor
			}
			if day > first {
				return t
			}
			continue
		}
		y, m, d := civilDate(day)
		for _, p := range ps {
			e := c.at(day, y, m, d, p.end)
			if !e.After(cursor) {
				continue
			}
			if c.at(day, y, m, d, p.start).After(cursor) {
				if open {
					return cursor
				}
				return t
			}
			cursor, open = e, true
		}
	}
	if open {
		return time.Time{}
	}
	return t
}

// Add returns the instant at which d of open time has elapsed from t,
// skipping closed time (nights, breaks, weekends, holidays). If t is closed,
// counting starts at the next opening. If d lands exactly on the end of a
// period, the result is that end (the closing instant), not the next opening.
//
// d <= 0 is treated as 0: Add returns t unchanged (in the calendar's zone),
// open or not. Add returns the zero Time if the calendar does not have d of
// open time after t: the calendar is never open, or reaching d
// needs more than HorizonDays days (never, for SLA-sized d).
//
// Cost is O(days spanned), with no allocation.
func (c *Calendar) Add(t time.Time, d time.Duration) time.Time {
	t = t.Round(0).In(c.loc)
	if d <= 0 {
		return t
	}
	last := min(c.lastOpenDay(), c.localDay(t)+HorizonDays)
	for s, e := range c.spans(t, last) {
		if avail := e.Sub(s); d > avail {
			d -= avail
			continue
		}
		return s.Add(d)
	}
	return time.Time{}
}

// Between returns the open time in [a, b); 0 if b is not after a.
// For every t and d > 0 where Add(t, d) is not zero,
// Between(t, Add(t, d)) == d.
//
// Cost is O(days spanned), with no allocation.
func (c *Calendar) Between(a, b time.Time) time.Duration {
	a, b = a.Round(0), b.Round(0)
	if !b.After(a) {
		return 0
	}
	var sum time.Duration
	for s, e := range c.spans(a, min(c.lastOpenDay(), c.localDay(b))) {
		if !s.Before(b) {
			break
		}
		if e.After(b) {
			e = b
		}
		sum += e.Sub(s)
	}
	return sum
}

// spans yields, in order, the open intervals [s, e) at or after from, the
// first one clipped to start at from, walking local days up to last. The
// walk starts a day early: a period of the previous local day may still run
// at from. Empty intervals (a period inside a skipped DST hour) are passed
// over. NextOpen, Add and Between are each one loop over it.
func (c *Calendar) spans(from time.Time, last int64) iter.Seq2[time.Time, time.Time] {
	return func(yield func(time.Time, time.Time) bool) {
		cursor := from
		for day := c.localDay(from) - 1; day <= last; day++ {
			ps := c.periodsOn(day)
			if len(ps) == 0 {
				continue
			}
			y, m, d := civilDate(day)
			for _, p := range ps {
				e := c.at(day, y, m, d, p.end)
				if !e.After(cursor) {
					continue
				}
				s := c.at(day, y, m, d, p.start)
				if s.Before(cursor) {
					s = cursor
				}
				if !e.After(s) {
					continue
				}
				if !yield(s, e) {
					return
				}
				cursor = e
			}
		}
	}
}
