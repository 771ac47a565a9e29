package ticket

import (
	"context"
	"errors"
	"fmt"
)

// Replan works out again the SLA deadlines of the open tickets measured in
// the calendar named calendar, after that calendar changed (a holiday added
// through administration): the business time already used stays as it
// was, what is left is counted in the calendar as it is now. A first
// response still awaited is due its target of business time after the
// ticket's creation in the new calendar. Timers already fired do not fire
// again. It returns how many tickets changed.
//
// Each ticket is its own transaction; one changed meanwhile by someone else
// is read again and retried once.
func (s *Service) Replan(ctx context.Context, calendar string) (int, error) {
	changed := 0
	for offset := 0; ; offset += MaxPage {
		var page []*Ticket
		err := s.repo.InTx(ctx, func(tx Tx) (err error) {
			page, err = tx.Search(ctx, Filter{Open: true, Sort: Oldest, Limit: MaxPage, Offset: offset})
			return err
		})
		if err != nil {
			return changed, fmt.Errorf("replan %s: open tickets: %w", calendar, err)
		}
		for _, t := range page {
			if s.calendar(t.SLA.Calendar).Name() != calendar {
				continue
			}
			ok, err := s.replan(ctx, t.ID)
			if errors.Is(err, ErrConflict) {
				ok, err = s.replan(ctx, t.ID)
			}
			if err != nil {
				return changed, fmt.Errorf("replan %s: ticket %d: %w", calendar, t.ID, err)
			}
			if ok {
				changed++
			}
		}
		if len(page) < MaxPage {
			return changed, nil
		}
	}
}

func (s *Service) replan(ctx context.Context, id int64) (bool, error) {
	changed := false
	err := s.repo.InTx(ctx, func(tx Tx) error {
		t, err := tx.Lock(ctx, id)
		if err != nil {
			return err
		}
		before := t.SLA
		cal := s.calendar(t.SLA.Calendar)
		if t.SLA.FirstResponse > 0 && t.SLA.FirstResponseAt.IsZero() {
			t.SLA.FirstResponseDue = cal.Add(t.CreatedAt, t.SLA.FirstResponse)
		}
		s.policy().sla.plan(t, cal)
		a, b := before, t.SLA
		if a.FirstResponseDue.Equal(b.FirstResponseDue) && a.ResolutionDue.Equal(b.ResolutionDue) &&
			a.NextDue.Equal(b.NextDue) && a.Deadline.Equal(b.Deadline) {
			return nil
		}
		prev := t.Version
		t.UpdatedAt, t.Version = s.now(), t.Version+1
		changed = true
		return tx.Update(ctx, t, prev)
	})
	return changed, err
}
