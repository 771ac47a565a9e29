package calendar

import (
	"math/rand/v2"
	"testing"
	"time"
)

var weekdays = []string{"mon", "tue", "wed", "thu", "fri"}

// mainSpec is a Shanghai center: 08:30-12:00 and 13:00-17:30 on weekdays
// (8h a day), National Day 2026-10-01..07 off, make-up days on Sun 09-27
// (Monday hours) and Sat 10-10 (Friday hours).
func mainSpec() Spec {
	s := Spec{
		Name:     "main",
		TimeZone: "Asia/Shanghai",
		Weekly:   map[string][]string{},
		Holidays: []string{"2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07"},
		Workdays: []Workday{{Date: "2026-09-27"}, {Date: "2026-10-10", Like: "fri"}},
	}
	for _, d := range weekdays {
		s.Weekly[d] = []string{"13:00-17:30", "08:30-12:00"} // unsorted on purpose
	}
	return s
}

func mustNew(t testing.TB, s Spec) *Calendar {
	t.Helper()
	c, err := New(s)
	if err != nil {
		t.Fatalf("New(%q): %v", s.Name, err)
	}
	return c
}

func every(periods ...string) map[string][]string {
	w := map[string][]string{}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		w[d] = periods
	}
	return w
}

// at parses "2006-01-02 15:04" (optionally ":05") in loc.
func at(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02 15:04:05.999999999"} {
		if v, err := time.ParseInLocation(layout, s, loc); err == nil {
			return v
		}
	}
	t.Fatalf("bad test time %q", s)
	return time.Time{}
}

func TestAdd(t *testing.T) {
	c := mustNew(t, mainSpec())
	loc := c.Location()
	tests := []struct {
		name  string
		start string
		d     time.Duration
		want  string
	}{
		{"inside period", "2026-11-23 09:00", time.Hour, "2026-11-23 10:00"},
		{"over lunch", "2026-11-23 11:30", time.Hour, "2026-11-23 13:30"},
		{"from lunch", "2026-11-23 12:30", 30 * time.Minute, "2026-11-23 13:30"},
		{"at period end (exclusive)", "2026-11-23 12:00", time.Minute, "2026-11-23 13:01"},
		{"at period start (inclusive)", "2026-11-23 13:00", time.Minute, "2026-11-23 13:01"},
		{"before opening", "2026-11-23 07:00", time.Minute, "2026-11-23 08:31"},
		{"over night", "2026-11-23 17:00", time.Hour, "2026-11-24 09:00"},
		{"from closing", "2026-11-23 17:30", time.Hour, "2026-11-24 09:30"},
		{"lands on closing", "2026-11-23 08:30", 8 * time.Hour, "2026-11-23 17:30"},
		{"one minute past a day", "2026-11-23 08:30", 8*time.Hour + time.Minute, "2026-11-24 08:31"},
		{"over weekend", "2026-11-27 17:00", time.Hour, "2026-11-30 09:00"},
		{"from saturday", "2026-11-28 10:00", time.Hour, "2026-11-30 09:30"},
		{"sub-second", "2026-11-23 11:59:59.5", time.Second, "2026-11-23 13:00:00.5"},
		{"zero", "2026-11-23 12:15", 0, "2026-11-23 12:15"},
		{"negative is zero", "2026-11-23 10:00", -time.Hour, "2026-11-23 10:00"},
		{"over holidays", "2026-09-30 17:00", time.Hour, "2026-10-08 09:00"},
		{"into make-up sunday", "2026-09-25 17:00", time.Hour, "2026-09-27 09:00"},
		{"into make-up saturday", "2026-10-09 17:30", time.Hour, "2026-10-10 09:30"},
		{"one week", "2026-11-23 08:30", 40 * time.Hour, "2026-11-27 17:30"},
		{"two weeks and an hour", "2026-11-23 08:30", 81 * time.Hour, "2026-12-07 09:30"},
		{"across holiday fortnight", "2026-09-28 00:00", 48*time.Hour + time.Minute, "2026-10-12 08:31"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, want := at(t, loc, tt.start), at(t, loc, tt.want)
			got := c.Add(start, tt.d)
			if !got.Equal(want) {
				t.Fatalf("Add(%s, %v) = %s, want %s", tt.start, tt.d, got, want)
			}
			if got.Location() != loc {
				t.Errorf("Add location = %v, want %v", got.Location(), loc)
			}
			if tt.d > 0 {
				if back := c.Between(start, got); back != tt.d {
					t.Errorf("Between(%s, %s) = %v, want %v", tt.start, tt.want, back, tt.d)
				}
			}
		})
	}
}

func TestBetween(t *testing.T) {
	c := mustNew(t, mainSpec())
	loc := c.Location()
	tests := []struct {
		name string
		a, b string
		want time.Duration
	}{
		{"one working day", "2026-11-23 08:30", "2026-11-23 17:30", 8 * time.Hour},
		{"whole day", "2026-11-23 00:00", "2026-11-24 00:00", 8 * time.Hour},
		{"lunch only", "2026-11-23 12:00", "2026-11-23 13:00", 0},
		{"into lunch", "2026-11-23 11:00", "2026-11-23 12:30", time.Hour},
		{"end exclusive", "2026-11-23 08:00", "2026-11-23 08:30", 0},
		{"first second", "2026-11-23 08:00", "2026-11-23 08:30:01", time.Second},
		{"over weekend", "2026-11-27 17:00", "2026-11-30 09:00", time.Hour},
		{"weekend only", "2026-11-28 00:00", "2026-11-30 00:00", 0},
		{"equal", "2026-11-23 10:00", "2026-11-23 10:00", 0},
		{"reversed", "2026-11-23 11:00", "2026-11-23 10:00", 0},
		{"one week", "2026-11-23 00:00", "2026-11-30 00:00", 40 * time.Hour},
		{"four weeks", "2026-11-02 00:00", "2026-11-30 00:00", 160 * time.Hour},
		{"holiday fortnight", "2026-09-28 00:00", "2026-10-12 00:00", 48 * time.Hour},
		{"holidays only", "2026-10-01 00:00", "2026-10-08 00:00", 0},
		{"make-up sunday", "2026-09-27 00:00", "2026-09-28 00:00", 8 * time.Hour},
		{"make-up saturday", "2026-10-10 00:00", "2026-10-11 00:00", 8 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Between(at(t, loc, tt.a), at(t, loc, tt.b)); got != tt.want {
				t.Errorf("Between(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestIsOpenNextOpenNextClose(t *testing.T) {
	c := mustNew(t, mainSpec())
	loc := c.Location()
	tests := []struct {
		name      string
		t         string
		open      bool
		nextOpen  string
		nextClose string
	}{
		{"period start", "2026-11-23 08:30", true, "2026-11-23 08:30", "2026-11-23 12:00"},
		{"just before start", "2026-11-23 08:29:59.999999999", false, "2026-11-23 08:30", "2026-11-23 08:29:59.999999999"},
		{"last instant of morning", "2026-11-23 11:59:59.999999999", true, "2026-11-23 11:59:59.999999999", "2026-11-23 12:00"},
		{"period end", "2026-11-23 12:00", false, "2026-11-23 13:00", "2026-11-23 12:00"},
		{"afternoon", "2026-11-23 15:00", true, "2026-11-23 15:00", "2026-11-23 17:30"},
		{"evening", "2026-11-23 17:30", false, "2026-11-24 08:30", "2026-11-23 17:30"},
		{"friday evening", "2026-11-27 18:00", false, "2026-11-30 08:30", "2026-11-27 18:00"},
		{"saturday", "2026-11-28 10:00", false, "2026-11-30 08:30", "2026-11-28 10:00"},
		{"holiday", "2026-10-01 10:00", false, "2026-10-08 08:30", "2026-10-01 10:00"},
		{"eve of holidays", "2026-09-30 18:00", false, "2026-10-08 08:30", "2026-09-30 18:00"},
		{"make-up sunday", "2026-09-27 10:00", true, "2026-09-27 10:00", "2026-09-27 12:00"},
		{"before make-up sunday", "2026-09-26 10:00", false, "2026-09-27 08:30", "2026-09-26 10:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := at(t, loc, tt.t)
			if got := c.IsOpen(tm); got != tt.open {
				t.Errorf("IsOpen(%s) = %v, want %v", tt.t, got, tt.open)
			}
			if got, want := c.NextOpen(tm), at(t, loc, tt.nextOpen); !got.Equal(want) {
				t.Errorf("NextOpen(%s) = %s, want %s", tt.t, got, want)
			}
			if got, want := c.NextClose(tm), at(t, loc, tt.nextClose); !got.Equal(want) {
				t.Errorf("NextClose(%s) = %s, want %s", tt.t, got, want)
			}
		})
	}
}

func TestNextCloseJoinsTouchingPeriods(t *testing.T) {
	split := mustNew(t, Spec{Name: "split", TimeZone: "Asia/Shanghai", Weekly: map[string][]string{
		"mon": {"08:00-12:00", "12:00-18:00"},
	}})
	weekdays24 := mustNew(t, Spec{Name: "weekdays24", TimeZone: "Asia/Shanghai", Weekly: map[string][]string{
		"mon": {"00:00-24:00"}, "tue": {"00:00-24:00"}, "wed": {"00:00-24:00"}, "thu": {"00:00-24:00"}, "fri": {"00:00-24:00"},
	}, Holidays: []string{"2026-11-26"}})
	sh := split.Location()
	tests := []struct {
		name string
		c    *Calendar
		t    string
		want string
	}{
		{"split day", split, "2026-11-23 09:00", "2026-11-23 18:00"},
		{"at the seam", split, "2026-11-23 12:00", "2026-11-23 18:00"},
		{"days joined until holiday", weekdays24, "2026-11-23 09:00", "2026-11-26 00:00"},
		{"days joined until weekend", weekdays24, "2026-11-27 09:00", "2026-11-28 00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := tt.c.NextClose(at(t, sh, tt.t)), at(t, sh, tt.want); !got.Equal(want) {
				t.Errorf("NextClose(%s) = %s, want %s", tt.t, got, want)
			}
		})
	}
}

func TestAlways(t *testing.T) {
	c := Always()
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	if c.Name() != "always" || c.Location() != time.UTC {
		t.Errorf("Always() = %q in %v, want \"always\" in UTC", c.Name(), c.Location())
	}
	if !c.IsOpen(t0) {
		t.Errorf("IsOpen(%s) = false, want true", t0)
	}
	if got, want := c.Add(t0, 100*time.Hour), t0.Add(100*time.Hour); !got.Equal(want) {
		t.Errorf("Add(+100h) = %s, want %s", got, want)
	}
	if got := c.Between(t0, t0.Add(1000*time.Hour)); got != 1000*time.Hour {
		t.Errorf("Between(1000h) = %v, want 1000h", got)
	}
	if got := c.NextOpen(t0); !got.Equal(t0) {
		t.Errorf("NextOpen = %s, want %s", got, t0)
	}
	if got := c.NextClose(t0); !got.IsZero() {
		t.Errorf("NextClose = %s, want zero (never closes)", got)
	}
}

func TestNeverOpen(t *testing.T) {
	for _, s := range []Spec{
		{Name: "empty", TimeZone: "UTC"},
		{Name: "empty days", TimeZone: "Asia/Shanghai", Weekly: map[string][]string{"mon": {}, "sun": nil}, Holidays: []string{"2026-11-23"}},
	} {
		t.Run(s.Name, func(t *testing.T) {
			c := mustNew(t, s)
			t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
			if got := c.Add(t0, time.Hour); !got.IsZero() {
				t.Errorf("Add = %s, want zero", got)
			}
			if got := c.Add(t0, 0); !got.Equal(t0) {
				t.Errorf("Add(d=0) = %s, want %s", got, t0)
			}
			if got := c.NextOpen(t0); !got.IsZero() {
				t.Errorf("NextOpen = %s, want zero", got)
			}
			if got := c.NextClose(t0); !got.Equal(t0) {
				t.Errorf("NextClose = %s, want %s (closed)", got, t0)
			}
			if c.IsOpen(t0) {
				t.Error("IsOpen = true, want false")
			}
			if got := c.Between(t0, t0.AddDate(5, 0, 0)); got != 0 {
				t.Errorf("Between = %v, want 0", got)
			}
		})
	}
}

func TestAddHorizon(t *testing.T) {
	// Open one minute a week: a year of open time needs ~10,000 years.
	c := mustNew(t, Spec{Name: "sparse", TimeZone: "UTC", Weekly: map[string][]string{"mon": {"10:00-10:01"}}})
	t0 := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	if got := c.Add(t0, 365*24*time.Hour); !got.IsZero() {
		t.Errorf("Add beyond horizon = %s, want zero", got)
	}
	if got, want := c.Add(t0, 2*time.Minute), time.Date(2026, 11, 30, 10, 1, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Add(2m) = %s, want %s", got, want)
	}
}

func TestDST(t *testing.T) {
	ny := func(name string, w map[string][]string) *Calendar {
		return mustNew(t, Spec{Name: name, TimeZone: "America/New_York", Weekly: w})
	}
	allDay := ny("24x7", every("00:00-24:00"))
	office := ny("office", every("09:00-17:00"))
	night := ny("night", every("01:00-04:00"))
	gap := ny("gap", map[string][]string{"sun": {"02:15-02:45", "03:00-04:00"}})
	loc := allDay.Location()

	t.Run("between", func(t *testing.T) {
		tests := []struct {
			name string
			c    *Calendar
			a, b string
			want time.Duration
		}{
			{"spring day is 23h", allDay, "2026-03-08 00:00", "2026-03-09 00:00", 23 * time.Hour},
			{"fall day is 25h", allDay, "2026-11-01 00:00", "2026-11-02 00:00", 25 * time.Hour},
			{"office unaffected", office, "2026-03-07 00:00", "2026-03-10 00:00", 24 * time.Hour},
			{"night period over spring gap", night, "2026-03-08 00:00", "2026-03-08 12:00", 2 * time.Hour},
			{"period ending in the gap ends at the jump", ny("to gap", every("01:00-02:30")), "2026-03-08 00:00", "2026-03-08 12:00", time.Hour},
			{"period starting in the gap starts at the jump", ny("from gap", every("02:30-04:00")), "2026-03-08 00:00", "2026-03-08 12:00", time.Hour},
			{"night period over fall repeat", night, "2026-11-01 00:00", "2026-11-01 12:00", 4 * time.Hour},
			{"period inside the gap is empty", gap, "2026-03-08 00:00", "2026-03-09 00:00", time.Hour},
			{"gap period normal week", gap, "2026-03-01 00:00", "2026-03-02 00:00", 90 * time.Minute},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := tt.c.Between(at(t, loc, tt.a), at(t, loc, tt.b)); got != tt.want {
					t.Errorf("Between(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
				}
			})
		}
	})
	t.Run("add", func(t *testing.T) {
		tests := []struct {
			name  string
			c     *Calendar
			start string
			d     time.Duration
			want  string
		}{
			{"24h over spring gap", allDay, "2026-03-07 12:00", 24 * time.Hour, "2026-03-08 13:00"},
			{"24h over fall repeat", allDay, "2026-10-31 12:00", 24 * time.Hour, "2026-11-01 11:00"},
			{"office over spring night", office, "2026-03-07 16:00", 2 * time.Hour, "2026-03-08 10:00"},
			{"office over fall night", office, "2026-10-31 16:00", 2 * time.Hour, "2026-11-01 10:00"},
			{"night period spring", night, "2026-03-08 00:00", 90 * time.Minute, "2026-03-08 03:30"},
			{"skips empty gap period", gap, "2026-03-08 00:00", 30 * time.Minute, "2026-03-08 03:30"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				start := at(t, loc, tt.start)
				got := tt.c.Add(start, tt.d)
				if want := at(t, loc, tt.want); !got.Equal(want) {
					t.Fatalf("Add(%s, %v) = %s, want %s", tt.start, tt.d, got, want)
				}
				if back := tt.c.Between(start, got); back != tt.d {
					t.Errorf("Between(start, Add) = %v, want %v", back, tt.d)
				}
			})
		}
	})
	t.Run("fall repeat hour is open twice", func(t *testing.T) {
		// 01:30 happens twice on 2026-11-01; both are inside 01:00-04:00.
		first := time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC)  // 01:30 EDT
		second := time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC) // 01:30 EST
		for _, tm := range []time.Time{first, second} {
			if !night.IsOpen(tm) {
				t.Errorf("IsOpen(%s) = false, want true", tm)
			}
		}
		if got, want := night.NextClose(first), time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC); !got.Equal(want) {
			t.Errorf("NextClose(%s) = %s, want %s", first, got, want)
		}
	})
}

// TestAddBetweenProperty checks Between(a, Add(a, d)) == d and the agreement
// of IsOpen/NextOpen/NextClose on random instants, for calendars with and
// without DST, lunch breaks, holidays and make-up days.
func TestAddBetweenProperty(t *testing.T) {
	cals := []*Calendar{
		mustNew(t, mainSpec()),
		Always(),
		mustNew(t, Spec{Name: "ny office", TimeZone: "America/New_York", Weekly: map[string][]string{
			"mon": {"09:00-12:00", "12:30-17:00"}, "tue": {"09:00-17:00"}, "sat": {"00:00-24:00"}, "sun": {"01:00-03:30", "22:00-24:00"},
		}, Holidays: []string{"2026-11-26", "2026-12-25"}}),
		mustNew(t, Spec{Name: "ny nights", TimeZone: "America/New_York", Weekly: every("00:00-02:30", "02:45-03:00", "03:00-06:00", "23:00-24:00")}),
		mustNew(t, Spec{Name: "lord howe", TimeZone: "Australia/Lord_Howe", Weekly: every("01:00-02:30", "08:00-18:00")}),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	lo := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	hi := time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	for _, c := range cals {
		t.Run(c.Name(), func(t *testing.T) {
			for range 3000 {
				a := time.Unix(0, lo+rng.Int64N(hi-lo)).In(time.UTC)
				if rng.IntN(4) == 0 {
					a = a.Truncate(30 * time.Minute) // hit period boundaries
				}
				d := time.Duration(rng.Int64N(int64(300 * time.Hour)))
				if rng.IntN(4) == 0 {
					d = d.Truncate(30 * time.Minute)
				}
				b := c.Add(a, d)
				if b.IsZero() {
					t.Fatalf("Add(%s, %v) = zero for a calendar with open time", a, d)
				}
				if b.Before(a) {
					t.Fatalf("Add(%s, %v) = %s, before start", a, d, b)
				}
				if got := c.Between(a, b); got != d {
					t.Fatalf("Between(%s, Add(%s, %v) = %s) = %v, want %v", a, a, d, b, got, d)
				}
				open := c.IsOpen(a)
				next := c.NextOpen(a)
				if open != next.Equal(a) {
					t.Fatalf("IsOpen(%s) = %v but NextOpen = %s", a, open, next)
				}
				if !c.IsOpen(next) {
					t.Fatalf("NextOpen(%s) = %s, which is not open", a, next)
				}
				if got := c.Between(a, next); got != 0 {
					t.Fatalf("Between(%s, NextOpen = %s) = %v, want 0", a, next, got)
				}
				cl := c.NextClose(a)
				switch {
				case !open && !cl.Equal(a):
					t.Fatalf("NextClose(%s) = %s, want a (closed)", a, cl)
				case open && !cl.IsZero():
					if c.IsOpen(cl) {
						t.Fatalf("NextClose(%s) = %s, which is open", a, cl)
					}
					if got, want := c.Between(a, cl), cl.Sub(a); got != want {
						t.Fatalf("Between(%s, NextClose = %s) = %v, want %v (open all along)", a, cl, got, want)
					}
				}
			}
		})
	}
}
