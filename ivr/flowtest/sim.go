package flowtest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/ivr"
)

// errScript stops a run whose behaviour left the script.
var errScript = errors.New("run left the script")

// sim is the whole world of one test case: the caller's channel, the
// clock, the back end, the queue and the ticket system, all scripted.
// Everything runs on the runner's goroutine; time only moves when the
// script says so.
type sim struct {
	c        *Case
	kind     ivr.ChannelKind
	now      time.Time
	pos      int // next step
	failures []string
	events   []ivr.Event
	queued   bool
	carry    time.Duration // rest of a "< wait" cut short by a timeout
	cancels  int
	gone     bool // the caller hung up while leaving a voice message
	tickets  int
	smsTo    string // the number the last code went to
}

func newSim(c *Case) *sim {
	cc := *c
	cc.customers = make(map[string]*customer, len(c.customers))
	for k, v := range c.customers {
		cu := *v
		cc.customers[k] = &cu
	}
	cc.steps = append([]step(nil), c.steps...)
	cc.pinFails = make(map[string]int, len(c.pinFails))
	for k, v := range c.pinFails {
		cc.pinFails[k] = v
	}
	return &sim{c: &cc, kind: c.Channel, now: c.Time}
}

func (s *sim) failf(line int, format string, args ...any) error {
	if len(s.failures) == 0 || line >= 0 {
		loc := s.c.File
		if line > 0 {
			loc = fmt.Sprintf("%s:%d", s.c.File, line)
		}
		s.failures = append(s.failures, loc+": "+fmt.Sprintf(format, args...))
	}
	return errScript
}

func (s *sim) failed() bool { return len(s.failures) > 0 }

func (s *sim) peek() (step, bool) {
	if s.pos >= len(s.c.steps) {
		return step{}, false
	}
	return s.c.steps[s.pos], true
}

// expect matches an IVR action against the next > line.
func (s *sim) expect(got string) error {
	if s.failed() {
		return errScript
	}
	st, ok := s.peek()
	if !ok {
		return s.failf(0, "script ended, but the IVR did: > %s", got)
	}
	if st.dir != '>' {
		return s.failf(st.line, "the IVR did `> %s` where the script has `%c %s`", got, st.dir, st.text())
	}
	want := st.text()
	if !match(want, got) {
		return s.failf(st.line, "got > %s\n      want > %s", got, want)
	}
	s.pos++
	return nil
}

// match compares an IVR action with a script line. Prompts must be
// equal; for transfer and ticket lines the script's key=value words must
// all be present in the action.
func match(want, got string) bool {
	if want == got {
		return true
	}
	ws, gs := strings.Fields(want), strings.Fields(got)
	if len(ws) < 2 || len(gs) < 2 || ws[0] != gs[0] || ws[1] != gs[1] || (ws[0] != "transfer" && ws[0] != "ticket") {
		return false
	}
	have := map[string]bool{}
	for _, g := range gs[2:] {
		have[g] = true
	}
	for _, w := range ws[2:] {
		if !have[w] {
			return false
		}
	}
	return true
}

// Channel.

func (s *sim) Kind() ivr.ChannelKind { return s.kind }

func (s *sim) Play(ctx context.Context, u ivr.Utterance) (ivr.Input, error) {
	if s.gone {
		return ivr.Input{}, ivr.ErrHangup
	}
	text := u.String()
	if u.Article != nil {
		text += " article(" + u.Article.ID + ")"
	}
	if u.Lang != ivr.DefaultLang {
		text = u.Lang + ":" + text
	}
	if err := s.expect(text); err != nil {
		return ivr.Input{}, err
	}
	st, ok := s.peek()
	if !ok || st.dir != '!' {
		return ivr.Input{}, nil
	}
	s.pos++
	in, err := s.input(st)
	if err != nil {
		return ivr.Input{}, err
	}
	if !u.BargeIn || s.kind == ivr.Chat {
		return ivr.Input{}, nil // pressed during a prompt without barge-in: discarded
	}
	return in, nil
}

func (s *sim) Receive(ctx context.Context, deadline time.Time, queue <-chan ivr.QueueEvent) (ivr.Input, error) {
	if s.gone {
		return ivr.Input{}, ivr.ErrHangup
	}
	for {
		if s.failed() {
			return ivr.Input{}, errScript
		}
		if s.carry > 0 {
			// The caller keeps still; a deadline inside the wait is a
			// timeout, and the rest of the wait carries over.
			if !deadline.IsZero() && !s.now.Add(s.carry).Before(deadline) {
				s.carry -= deadline.Sub(s.now)
				s.now = deadline
				return ivr.Input{}, ivr.ErrTimeout
			}
			s.now = s.now.Add(s.carry)
			s.carry = 0
		}
		st, ok := s.peek()
		if !ok {
			return ivr.Input{}, s.failf(0, "script ended while the IVR waits for input")
		}
		if st.dir == '>' {
			return ivr.Input{}, s.failf(st.line, "the IVR waits for input, the script expects > %s", st.text())
		}
		if st.dir == '=' {
			return ivr.Input{}, s.failf(st.line, "unexpected check")
		}
		switch st.words[0] {
		case "wait":
			s.pos++
			s.carry = st.remain
			continue
		case "silence":
			if deadline.IsZero() {
				return ivr.Input{}, s.failf(st.line, "silence, but the IVR waits without a timeout")
			}
			s.now = deadline
			s.pos++
			return ivr.Input{}, ivr.ErrTimeout
		}
		s.pos++
		in, err := s.input(st)
		if err == nil && in.Kind == ivr.InputQueue && !s.queued {
			return in, s.failf(st.line, "queue event while the contact is not queued")
		}
		return in, err
	}
}

func (s *sim) input(st step) (ivr.Input, error) {
	w := st.words
	switch w[0] {
	case "hangup":
		return ivr.Input{}, ivr.ErrHangup
	case "text":
		return ivr.Input{Kind: ivr.InputText, Text: strings.Join(w[1:], " ")}, nil
	case "position":
		ev := ivr.QueueEvent{Kind: ivr.QueuePosition}
		n, err := strconv.Atoi(arg(w, 1))
		if err != nil {
			return ivr.Input{}, s.failf(st.line, "position: want a number")
		}
		ev.Position = n
		if len(w) > 2 {
			if ev.ExpectedWait, err = time.ParseDuration(w[2]); err != nil {
				return ivr.Input{}, s.failf(st.line, "position: bad wait %q", w[2])
			}
		}
		return ivr.Input{Kind: ivr.InputQueue, Queue: ev}, nil
	case "connected":
		return ivr.Input{Kind: ivr.InputQueue, Queue: ivr.QueueEvent{Kind: ivr.QueueConnected, Agent: arg(w, 1)}}, nil
	case "transferred":
		return ivr.Input{Kind: ivr.InputQueue, Queue: ivr.QueueEvent{Kind: ivr.QueueTransferred, Agent: arg(w, 1)}}, nil
	case "agent-left":
		return ivr.Input{Kind: ivr.InputQueue, Queue: ivr.QueueEvent{Kind: ivr.QueueAgentLeft}}, nil
	case "max-wait":
		return ivr.Input{Kind: ivr.InputQueue, Queue: ivr.QueueEvent{Kind: ivr.QueueMaxWait, Action: arg(w, 1), Kept: arg(w, 2) == "kept"}}, nil
	case "lost":
		return ivr.Input{Kind: ivr.InputQueue, Queue: ivr.QueueEvent{Kind: ivr.QueueLost}}, nil
	}
	keys := strings.Join(w, "")
	if strings.Trim(keys, "0123456789*#") != "" {
		return ivr.Input{}, s.failf(st.line, "unknown input %q", st.text())
	}
	if s.kind == ivr.Chat {
		return ivr.Input{Kind: ivr.InputText, Text: keys}, nil
	}
	return ivr.Input{Kind: ivr.InputDigits, Digits: keys}, nil
}

func arg(w []string, i int) string {
	if i < len(w) {
		return w[i]
	}
	return ""
}

func (s *sim) Transfer(ctx context.Context, agentID string) error {
	return s.expect("agent " + agentID)
}

func (s *sim) Hangup(ctx context.Context) error {
	if s.failed() {
		return nil
	}
	return s.expect("hangup")
}

// Clock: time moves only through the script.

func (s *sim) Now() time.Time { return s.now }

// After never fires: the runner waits through Receive deadlines, which the
// script resolves.
func (s *sim) After(time.Duration) <-chan time.Time { return nil }

// Sink.

func (s *sim) Emit(e ivr.Event) { s.events = append(s.events, e) }

// Queuer.

func (s *sim) Enqueue(ctx context.Context, req ivr.QueueRequest) (ivr.QueueHandle, error) {
	got := fmt.Sprintf("transfer %s priority=%d skills=%s tier=%s", req.Queue, req.Priority, strings.Join(req.Skills, ","), req.Tier)
	if err := s.expect(got); err != nil {
		return nil, err
	}
	if s.c.queueDown {
		return nil, fmt.Errorf("queue %s: %w", req.Queue, ivr.ErrUnavailable)
	}
	s.queued = true
	return (*simHandle)(s), nil
}

type simHandle sim

func (h *simHandle) Events() <-chan ivr.QueueEvent { return nil }

// KeepAsCallback is matched against a "> callback NUMBER" line; with
// "queue nocallback" the queue refuses.
func (h *simHandle) KeepAsCallback(_ context.Context, number string) error {
	s := (*sim)(h)
	if err := s.expect("callback " + number); err != nil {
		return err
	}
	if s.c.noCallback {
		return fmt.Errorf("callback to %s: %w", number, ivr.ErrUnavailable)
	}
	return nil
}

func (h *simHandle) Cancel(context.Context, acd.LeaveReason) error {
	h.cancels++
	h.queued = false
	return nil
}

// TicketCreator.

func (s *sim) CreateTicket(ctx context.Context, req ivr.TicketRequest) (string, error) {
	parts := []string{"ticket", req.Type}
	for _, k := range sortedKeys(req.Fields) {
		parts = append(parts, k+"="+strings.ReplaceAll(req.Fields[k], " ", "_"))
	}
	parts = append(parts, "subject="+strings.ReplaceAll(req.Summary, " ", "_"))
	if err := s.expect(strings.Join(parts, " ")); err != nil {
		return "", err
	}
	if s.c.ticketDown {
		return "", fmt.Errorf("tickets: %w", ivr.ErrUnavailable)
	}
	s.tickets++
	return strconv.Itoa(100000 + s.tickets), nil
}

// Backend.

func (s *sim) op(name string) error {
	if s.c.down["*"] || s.c.down[name] {
		return fmt.Errorf("%s: %w", name, ivr.ErrUnavailable)
	}
	return nil
}

func (s *sim) byAccount(acct string) (*customer, error) {
	for _, c := range s.c.customers {
		if c.cust.Account == acct && acct != "" {
			return c, nil
		}
	}
	return nil, ivr.ErrNotFound
}

func (s *sim) CustomerByANI(ctx context.Context, ani string) (ivr.Customer, error) {
	if err := s.op("customer_by_ani"); err != nil {
		return ivr.Customer{}, err
	}
	c, ok := s.c.customers[ani]
	if !ok {
		return ivr.Customer{}, ivr.ErrNotFound
	}
	return c.cust, nil
}

func (s *sim) CustomerByAccount(ctx context.Context, acct string) (ivr.Customer, error) {
	if err := s.op("customer_by_account"); err != nil {
		return ivr.Customer{}, err
	}
	c, err := s.byAccount(acct)
	if err != nil {
		return ivr.Customer{}, err
	}
	return c.cust, nil
}

func (s *sim) Bill(ctx context.Context, acct string) (ivr.Bill, error) {
	if err := s.op("bill"); err != nil {
		return ivr.Bill{}, err
	}
	c, err := s.byAccount(acct)
	if err != nil {
		return ivr.Bill{}, err
	}
	return c.bill, nil
}

func (s *sim) Points(ctx context.Context, acct string) (int64, error) {
	if err := s.op("points"); err != nil {
		return 0, err
	}
	c, err := s.byAccount(acct)
	if err != nil {
		return 0, err
	}
	return c.points, nil
}

func (s *sim) VerifyPassword(ctx context.Context, acct, pw string) (bool, error) {
	if err := s.op("verify_password"); err != nil {
		return false, err
	}
	c, err := s.byAccount(acct)
	if err != nil {
		return false, err
	}
	return c.password != "" && c.password == pw, nil
}

func (s *sim) ResetPassword(ctx context.Context, acct, pw string) error {
	if err := s.op("reset_password"); err != nil {
		return err
	}
	c, err := s.byAccount(acct)
	if err != nil {
		return err
	}
	c.password = pw
	return nil
}

// Verifier: the SMS is an expected action, `> sms NUMBER`; the code it
// carries is the case's `code` (default 000000).

func (s *sim) SendCode(ctx context.Context, contact, phone, lang string) error {
	if err := s.expect("sms " + phone); err != nil {
		return err
	}
	if err := s.op("send_code"); err != nil {
		return err
	}
	if s.c.smsLimited {
		return fmt.Errorf("sms to %s: %w", phone, ivr.ErrLimited)
	}
	s.smsTo = phone
	return nil
}

func (s *sim) CheckCode(ctx context.Context, contact, phone, code string) (bool, error) {
	if err := s.op("check_code"); err != nil {
		return false, err
	}
	want := s.c.code
	if want == "" {
		want = "000000"
	}
	return s.smsTo != "" && phone == s.smsTo && code == want, nil
}

// simGuard is the PIN guard of a case with `pin_guard`: failures per
// account, counted before the check, as the store does.
type simGuard sim

func (g *simGuard) ReservePIN(ctx context.Context, account string) (bool, int, error) {
	if g.c.pinFails[account] >= g.c.pinMax {
		return false, 0, nil
	}
	g.c.pinFails[account]++
	return true, g.c.pinMax - g.c.pinFails[account], nil
}

func (g *simGuard) PINVerified(ctx context.Context, account string) error {
	delete(g.c.pinFails, account)
	return nil
}

// Answer is the test's knowledge base: the articles whose word the
// question holds, in the order the test lists them.
func (s *sim) Answer(ctx context.Context, question, lang string, limit int) ([]ivr.Article, error) {
	if s.c.kbDown {
		return nil, errors.New("knowledge base down")
	}
	var out []ivr.Article
	for _, a := range s.c.articles {
		if strings.Contains(strings.ToLower(question), strings.ToLower(a.word)) && len(out) < limit {
			out = append(out, ivr.Article{ID: a.id, Title: a.title, HTML: "<p>" + a.title + "</p>"})
		}
	}
	return out, nil
}

// RecordMessage plays the prompt, is matched against a "> record" line and
// returns the id "voicemail-1"; a "< hangup" right after it is the caller
// hanging up once the message is spoken (it is kept).
func (s *sim) RecordMessage(ctx context.Context, u ivr.Utterance, limit time.Duration) (string, error) {
	if _, err := s.Play(ctx, u); err != nil {
		return "", err
	}
	if err := s.expect("record"); err != nil {
		return "", err
	}
	if st, ok := s.peek(); ok && st.dir == '<' && st.text() == "hangup" {
		s.pos++
		s.gone = true
	}
	return "voicemail-1", nil
}
