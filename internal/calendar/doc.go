// Package calendar holds business-hours calendars: when a contact center is
// open, and how much open ("business") time lies between two instants.
//
// The IVR asks IsOpen / NextOpen to choose between routing a call and playing
// the closed prompt; tickets compute SLA deadlines with Add and elapsed
// business time with Between. The package is pure logic: it never reads the
// wall clock, callers pass every instant in.
//
// A calendar is written as a Spec (weekly periods in wall-clock time of an
// IANA zone, holidays, make-up working days) and compiled by New. Periods are
// wall-clock times of the calendar's zone, so an "08:00-18:00" period is ten
// hours on most days, nine or eleven across a DST change inside it, and a
// period that starts or ends in a skipped hour begins or ends at the instant
// the clock jumps to.
//
// The package imports time/tzdata, so zones load on machines without
// /usr/share/zoneinfo (minimal containers).
//
// Add and Between walk the calendar one day at a time, O(days spanned), and
// do not allocate; searches are bounded (see Horizon), so a calendar that is
// never open answers with the zero Time instead of looping.
package calendar
