package ticket

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// FireDue fires the SLA timers that are due at the clock's now: warnings,
// breaches and escalation steps. It reads the due tickets from the
// repository's due-time index, at most limit of them, and handles each in its
// own transaction that marks the timer fired together with its effects, so a
// timer fires exactly once even across restarts and several nodes. It returns
// how many tickets it looked at.
func (s *Service) FireDue(ctx context.Context, limit int) (int, error) {
	now := s.now()
	var ids []int64
	err := s.repo.InTx(ctx, func(tx Tx) (err error) {
		ids, err = tx.Due(ctx, now, limit)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("due tickets: %w", err)
	}
	var errs []error
	for _, id := range ids {
		// A conflict means someone changed the ticket meanwhile; its timers
		// are still stored and come back on the next scan. Other failures
		// are reported, but one bad ticket does not hold up the rest.
		if err := s.fire(ctx, id, now); err != nil && !errors.Is(err, ErrConflict) {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			errs = append(errs, fmt.Errorf("ticket %d: %w", id, err))
		}
	}
	return len(ids), errors.Join(errs...)
}

// RunTimers calls FireDue every interval until ctx ends, draining backlogs
// in batches of batch.
func (s *Service) RunTimers(ctx context.Context, every time.Duration, batch int) error {
	for {
		n, err := s.FireDue(ctx, batch)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.log.ErrorContext(ctx, "sla timers", "err", err)
		}
		if n == batch && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.clock.After(every):
		}
	}
}

func (s *Service) fire(ctx context.Context, id int64, now time.Time) error {
	var fx *effects
	err := s.repo.InTx(ctx, func(tx Tx) error {
		fx = s.effects(Timer)
		fx.now = now
		t, err := tx.Lock(ctx, id)
		if err != nil {
			return err
		}
		start := t.Clone()
		cal := s.calendar(t.SLA.Calendar)
		pol := s.policy() // one version of the settings for the whole firing
		for _, tm := range pol.sla.timers(t, cal) {
			if tm.at.After(now) {
				break
			}
			before := t.Clone()
			t.SLA.Fired = append(t.SLA.Fired, tm.key)
			if err := s.apply(fx, t, tm, pol); err != nil {
				return err
			}
			pol.sla.plan(t, cal)
			fx.record(before, t, "sla:"+tm.key, "")
		}
		pol.sla.plan(t, cal)
		if len(fx.history) == 0 && t.SLA.NextDue.Equal(start.SLA.NextDue) {
			return nil
		}
		t.UpdatedAt, t.Version = now, t.Version+1
		if err := tx.Update(ctx, t, start.Version); err != nil {
			return err
		}
		return fx.flush(ctx, tx)
	})
	if err == nil {
		s.publish(fx.events)
	}
	return err
}

// apply performs what timer tm does to t.
func (s *Service) apply(fx *effects, t *Ticket, tm timer, pol *policy) error {
	ev := eventOf("", t, fx.now, s.cfg.ServiceCategory)
	n := note{}
	clock := func(first bool) {
		ev.Clock, ev.Due = "resolution", t.SLA.ResolutionDue
		if first {
			ev.Clock, ev.Due = "first_response", t.SLA.FirstResponseDue
		}
		n.Due, n.Clock = dueText(ev.Due, s.loc), ev.Clock
	}
	switch tm.kind {
	case warnFirst, warnResolution:
		ev.Kind, ev.Fraction = EventWarning, tm.fraction
		clock(tm.kind == warnFirst)
		n.Percent = strconv.FormatFloat(tm.fraction*100, 'f', -1, 64)
		if err := fx.event(ev); err != nil {
			return err
		}
		if t.Assignee != "" {
			return fx.staff(t, t.Assignee, "warning", n)
		}
		return fx.lead(t, t.Group, "warning", n)
	case breachFirst, breachResolution:
		if tm.kind == breachFirst {
			t.SLA.FirstBreached = true
		} else {
			t.SLA.Breached = true
		}
		ev.Kind = EventBreached
		clock(tm.kind == breachFirst)
		if err := fx.event(ev); err != nil {
			return err
		}
		return fx.lead(t, t.Group, "breach", n)
	case escalate:
		step := pol.sla.Escalation[tm.step]
		n.Step = tm.step + 1
		if step.NotifyLead {
			if err := fx.lead(t, t.Group, "escalated", n); err != nil {
				return err
			}
		}
		if step.RaisePriority {
			t.Priority = t.Priority.Raise()
		}
		if step.MoveTo != "" && step.MoveTo != t.Group {
			t.Group = step.MoveTo
			if t.Status == New || t.Status == Pooled || t.Status == Assigned || t.Status == InProgress {
				t.Status, t.Assignee = Pooled, ""
			}
		}
		ev = eventOf(EventEscalated, t, fx.now, s.cfg.ServiceCategory)
		ev.Step, ev.Clock, ev.Due = n.Step, "resolution", t.SLA.ResolutionDue
		return fx.event(ev)
	}
	return nil
}
