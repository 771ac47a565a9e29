package calendar_test

import (
	"fmt"
	"time"

	"github.com/hotline10000/hotline/internal/calendar"
)

// An SLA of 4 business hours on a ticket opened late on a Friday afternoon
// in a Shanghai center runs out on Monday morning; Between tells how much of
// it is used at any instant.
func Example_sla() {
	cal, err := calendar.New(calendar.Spec{
		Name:     "shanghai",
		TimeZone: "Asia/Shanghai",
		Weekly: map[string][]string{
			"mon": {"08:30-12:00", "13:00-17:30"},
			"tue": {"08:30-12:00", "13:00-17:30"},
			"wed": {"08:30-12:00", "13:00-17:30"},
			"thu": {"08:30-12:00", "13:00-17:30"},
			"fri": {"08:30-12:00", "13:00-17:30"},
		},
		Holidays: []string{"2026-10-01", "2026-10-02"},
		Workdays: []calendar.Workday{{Date: "2026-10-10", Like: "fri"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	opened := time.Date(2026, 11, 27, 16, 0, 0, 0, cal.Location()) // a Friday
	deadline := cal.Add(opened, 4*time.Hour)
	fmt.Println("deadline:", deadline.Format("Mon 2006-01-02 15:04 MST"))

	now := time.Date(2026, 11, 30, 9, 0, 0, 0, cal.Location())
	used := cal.Between(opened, now)
	fmt.Println("used at Monday 09:00:", used, "left:", 4*time.Hour-used)
	fmt.Println("open now:", cal.IsOpen(now), "until", cal.NextClose(now).Format("15:04"))
	// Output:
	// deadline: Mon 2026-11-30 11:00 CST
	// used at Monday 09:00: 2h0m0s left: 2h0m0s
	// open now: true until 12:00
}
