package calendar

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNewValid(t *testing.T) {
	c := mustNew(t, mainSpec())
	if c.Name() != "main" {
		t.Errorf("Name() = %q, want %q", c.Name(), "main")
	}
	if got := c.Location().String(); got != "Asia/Shanghai" {
		t.Errorf("Location() = %q, want Asia/Shanghai", got)
	}
	lenient := mustNew(t, Spec{Name: "lenient", TimeZone: "UTC", Weekly: map[string][]string{
		"mon": {" 8:00 - 12:00 ", "12:00-24:00"}, // one-digit hour, spaces, touching periods, 24:00
	}})
	mon := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	if got := lenient.Between(mon, mon.AddDate(0, 0, 1)); got != 16*time.Hour {
		t.Errorf("Between(monday) = %v, want 16h", got)
	}
}

func TestNewErrors(t *testing.T) {
	base := func(edit func(*Spec)) Spec {
		s := mainSpec()
		edit(&s)
		return s
	}
	tests := []struct {
		name string
		spec Spec
		want []string // each a full SpecError message, in order
	}{
		{"end before start", base(func(s *Spec) { s.Weekly["mon"] = []string{"08:00-12:00", "13:00-12:00"} }),
			[]string{`calendar "main": weekly.mon[1]: "13:00-12:00": end before start`}},
		{"midnight end", base(func(s *Spec) { s.Weekly["tue"] = []string{"22:00-00:00"} }),
			[]string{`calendar "main": weekly.tue[0]: "22:00-00:00": end before start (write 24:00 for midnight)`}},
		{"empty period", base(func(s *Spec) { s.Weekly["wed"] = []string{"09:00-09:00"} }),
			[]string{`calendar "main": weekly.wed[0]: "09:00-09:00": empty period (start equals end)`}},
		{"overlap", base(func(s *Spec) { s.Weekly["mon"] = []string{"08:00-12:00", "11:00-13:00"} }),
			[]string{`calendar "main": weekly.mon[1]: "11:00-13:00": overlaps "08:00-12:00" (weekly.mon[0])`}},
		{"overlap written first", base(func(s *Spec) { s.Weekly["mon"] = []string{"11:00-13:00", "08:00-12:00"} }),
			[]string{`calendar "main": weekly.mon[1]: "08:00-12:00": overlaps "11:00-13:00" (weekly.mon[0])`}},
		{"bad syntax", base(func(s *Spec) {
			s.Weekly["thu"] = []string{"08:00", "8-12", "25:00-26:00", "08:60-09:00", "24:00-24:00", "24:30-24:45", "0800-1200", "a8:00-12:00", "08:00-12:00-13:00"}
		}), []string{
			`calendar "main": weekly.thu[0]: "08:00": want HH:MM-HH:MM`,
			`calendar "main": weekly.thu[1]: "8-12": want HH:MM-HH:MM`,
			`calendar "main": weekly.thu[2]: "25:00-26:00": want HH:MM-HH:MM`,
			`calendar "main": weekly.thu[3]: "08:60-09:00": want HH:MM-HH:MM`,
			`calendar "main": weekly.thu[4]: "24:00-24:00": start 24:00 is not a time of the day`,
			`calendar "main": weekly.thu[5]: "24:30-24:45": want HH:MM-HH:MM`,
			`calendar "main": weekly.thu[6]: "0800-1200": want HH:MM-HH:MM`,
			`calendar "main": weekly.thu[7]: "a8:00-12:00": want HH:MM-HH:MM`,
			`calendar "main": weekly.thu[8]: "08:00-12:00-13:00": want HH:MM-HH:MM`,
		}},
		{"unknown weekday", base(func(s *Spec) { s.Weekly["monday"] = []string{"08:00-12:00"} }),
			[]string{`calendar "main": weekly: "monday": unknown weekday (want mon, tue, wed, thu, fri, sat or sun)`}},
		{"no name", base(func(s *Spec) { s.Name = "" }),
			[]string{`calendar "": name: "": required`}},
		{"no zone", base(func(s *Spec) { s.TimeZone = "" }),
			[]string{`calendar "main": time_zone: "": required (IANA name, e.g. Asia/Shanghai)`}},
		{"local zone", base(func(s *Spec) { s.TimeZone = "Local" }),
			[]string{`calendar "main": time_zone: "Local": the machine's zone is not allowed, name an IANA zone`}},
		{"unknown zone", base(func(s *Spec) { s.TimeZone = "Mars/Olympus_Mons" }),
			[]string{`calendar "main": time_zone: "Mars/Olympus_Mons": unknown time zone: unknown time zone Mars/Olympus_Mons`}},
		{"bad holiday", base(func(s *Spec) { s.Holidays = append(s.Holidays, "2026-13-01", "01.10.2026") }),
			[]string{
				`calendar "main": holidays[7]: "2026-13-01": want a date YYYY-MM-DD`,
				`calendar "main": holidays[8]: "01.10.2026": want a date YYYY-MM-DD`,
			}},
		{"duplicate holiday", base(func(s *Spec) { s.Holidays = append(s.Holidays, "2026-10-03") }),
			[]string{`calendar "main": holidays[7]: "2026-10-03": duplicate of holidays[2]`}},
		{"workday unknown like", base(func(s *Spec) { s.Workdays[0].Like = "monday" }),
			[]string{`calendar "main": workdays[0].like: "monday": unknown weekday (want mon, tue, wed, thu, fri, sat or sun)`}},
		{"workday like a day off", base(func(s *Spec) { s.Workdays[1].Like = "sat" }),
			[]string{`calendar "main": workdays[1].like: "sat": sat has no weekly hours`}},
		{"workday bad date", base(func(s *Spec) { s.Workdays[0].Date = "2026-02-30" }),
			[]string{`calendar "main": workdays[0].date: "2026-02-30": want a date YYYY-MM-DD`}},
		{"workday duplicate", base(func(s *Spec) { s.Workdays = append(s.Workdays, Workday{Date: "2026-09-27", Like: "tue"}) }),
			[]string{`calendar "main": workdays[2].date: "2026-09-27": duplicate of workdays[0]`}},
		{"workday on a holiday", base(func(s *Spec) { s.Workdays = append(s.Workdays, Workday{Date: "2026-10-04"}) }),
			[]string{`calendar "main": workdays[2].date: "2026-10-04": also a holiday (holidays[3])`}},
		{"several problems reported together", base(func(s *Spec) {
			s.TimeZone = "Nowhere/Town"
			s.Weekly["fri"] = []string{"17:00-09:00"}
		}), []string{
			`calendar "main": time_zone: "Nowhere/Town": unknown time zone: unknown time zone Nowhere/Town`,
			`calendar "main": weekly.fri[0]: "17:00-09:00": end before start`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.spec)
			if err == nil {
				t.Fatalf("New = %v, nil error; want %q", c, tt.want)
			}
			if c != nil {
				t.Errorf("New returned a calendar with an error")
			}
			if !errors.Is(err, ErrInvalidSpec) {
				t.Errorf("errors.Is(%v, ErrInvalidSpec) = false, want true", err)
			}
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("errors.As(%v, *SpecError) = false, want true", err)
			}
			if got, want := err.Error(), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("error:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestUnknownZoneWrapsCause(t *testing.T) {
	_, err := New(Spec{Name: "x", TimeZone: "Mars/Olympus_Mons"})
	var se *SpecError
	if !errors.As(err, &se) || se.Field != "time_zone" || se.Err == nil {
		t.Fatalf("got %#v, want a time_zone SpecError with its cause", err)
	}
	if got := errors.Unwrap(se); got != se.Err {
		t.Errorf("Unwrap = %v, want the LoadLocation error %v", got, se.Err)
	}
}

func TestParseClockAndDays(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int32
		ok   bool
	}{
		{"00:00", 0, true}, {"0:00", 0, true}, {"9:05", 545, true}, {"23:59", 1439, true}, {"24:00", 1440, true},
		{"24:01", 0, false}, {"-1:00", 0, false}, {"1:5", 0, false}, {"123:00", 0, false}, {"", 0, false}, {":", 0, false},
	} {
		got, ok := parseClock(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseClock(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	// civilDay/civilDate/weekdayOf agree with package time over a wide range.
	for d := time.Date(-500, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 3000; d = d.AddDate(0, 0, 13) {
		y, m, dd := d.Date()
		day := civilDay(y, m, dd)
		if want := d.Unix() / 86400; day != want {
			t.Fatalf("civilDay(%s) = %d, want %d", d.Format(time.DateOnly), day, want)
		}
		if gy, gm, gd := civilDate(day); gy != y || gm != m || gd != dd {
			t.Fatalf("civilDate(%d) = %d-%d-%d, want %s", day, gy, gm, gd, d.Format(time.DateOnly))
		}
		if got := weekdayOf(day); got != d.Weekday() {
			t.Fatalf("weekdayOf(%s) = %v, want %v", d.Format(time.DateOnly), got, d.Weekday())
		}
	}
}

// FuzzNew feeds New random specs: it must never panic, and a calendar it
// accepts must keep the Add/Between contract.
func FuzzNew(f *testing.F) {
	f.Add("main", "Asia/Shanghai", "mon", "08:30-12:00", "13:00-17:30", "2026-10-01", "2026-09-27", "mon", int64(1795000000), int64(3*time.Hour))
	f.Add("ny", "America/New_York", "sun", "00:00-24:00", "01:00-02:30", "2026-03-08", "2026-03-07", "sun", int64(1772900000), int64(30*time.Hour))
	f.Add("", "Local", "monday", "13:00-12:00", "24:00-24:00", "2026-13-01", "x", "", int64(0), int64(-1))
	f.Add("x", "../etc/passwd", "sat", "9:00 - 9:30", "09:15-10:00", "", "", "sat", int64(-1<<40), int64(1<<62))
	f.Fuzz(func(t *testing.T, name, tz, day, p1, p2, holiday, wdDate, wdLike string, unix, d int64) {
		s := Spec{
			Name:     name,
			TimeZone: tz,
			Weekly:   map[string][]string{day: {p1, p2}, "wed": {p1}},
			Holidays: []string{holiday},
			Workdays: []Workday{{Date: wdDate, Like: wdLike}},
		}
		c, err := New(s)
		if err != nil {
			if c != nil || !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("New = %v, %v: want nil and an ErrInvalidSpec", c, err)
			}
			return
		}
		// Keep instants within a few centuries and d within a year, so
		// each run is bounded.
		a := time.Unix(unix%(200*365*86400), 0)
		dur := time.Duration(d % int64(365*24*time.Hour))
		b := c.Add(a, dur)
		if dur > 0 && !b.IsZero() {
			if got := c.Between(a, b); got != dur {
				t.Fatalf("Between(%s, Add(%s, %v) = %s) = %v, want %v", a, a, dur, b, got, dur)
			}
		}
		if n := c.NextOpen(a); !n.IsZero() && !c.IsOpen(n) {
			t.Fatalf("NextOpen(%s) = %s, not open", a, n)
		}
		c.NextClose(a)
	})
}
