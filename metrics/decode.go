package metrics

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/ivr"
)

// Wanted says whether the engine reads events of type t; the bus
// subscription and the log replay filter with it.
func Wanted(t event.Type) bool {
	s := string(t)
	switch {
	case strings.HasPrefix(s, "acd."):
		return s != acd.TypeAgentSkillsChanged && s != acd.TypeStepReached && s != acd.TypeHoldStarted
	case strings.HasPrefix(s, "kpi."):
		return true
	}
	switch s {
	case ivr.TypeEnded, ivr.TypeSurveyResult, TypeMarketing:
		return true
	}
	return false
}

// Decode reads a stored payload of type t into the value the engine
// applies; ok is false for types the engine does not read.
func Decode(t event.Type, data json.RawMessage) (v any, ok bool, err error) {
	if !Wanted(t) {
		return nil, false, nil
	}
	var p any
	switch s := string(t); {
	case strings.HasPrefix(s, "acd."):
		p = new(acd.Event)
	case s == ivr.TypeEnded:
		p = new(ivr.Ended)
	case s == ivr.TypeSurveyResult:
		p = new(ivr.SurveyResult)
	case s == TypeMarketing:
		p = new(Marketing)
	case s == TypeShift:
		p = new(Shift)
	case s == TypeEvaluation:
		p = new(Evaluation)
	case s == TypeOutbound:
		p = new(OutboundAttempt)
	case s == TypeDayComputed:
		p = new(DayResult)
	default:
		return nil, false, nil
	}
	if err := json.Unmarshal(data, p); err != nil {
		return nil, false, fmt.Errorf("decode %s: %w", t, err)
	}
	switch x := p.(type) {
	case *acd.Event:
		return *x, true, nil
	case *ivr.Ended:
		return *x, true, nil
	case *ivr.SurveyResult:
		return *x, true, nil
	case *Marketing:
		return *x, true, nil
	case *Shift:
		return *x, true, nil
	case *Evaluation:
		return *x, true, nil
	case *OutboundAttempt:
		return *x, true, nil
	case *DayResult:
		return *x, true, nil
	}
	return nil, false, nil
}

// normalize gives a bus event the payload type the engine reads: the
// desk's offers arrive as agentdesk.Marketing, a package the engine does
// not import, and are re-read through their JSON (rare events).
func normalize(e *event.Event) error {
	switch e.Data.(type) {
	case acd.Event, ivr.Ended, ivr.SurveyResult, Marketing, Shift, Evaluation, OutboundAttempt, DayResult:
		return nil
	}
	b, err := json.Marshal(e.Data)
	if err != nil {
		return fmt.Errorf("encode %s: %w", e.Type, err)
	}
	v, ok, err := Decode(e.Type, b)
	if err != nil || !ok {
		return err
	}
	e.Data = v
	return nil
}
