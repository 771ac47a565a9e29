package ivr

import (
	"context"
	"strings"
	"testing"
)

// The outage notices are played once as the main flow starts: voice hears
// the recorded notice, chat reads the texts; other flows, and contacts
// without a notice, start as before.
func TestOutageNoticeAtTheStartOfMain(t *testing.T) {
	files := map[string]string{
		"main.yaml":  "flow: main\nstart: bye\nnodes:\n  bye:\n    kind: hangup\n    prompt: goodbye\n",
		"other.yaml": "flow: other\nstart: bye\nnodes:\n  bye:\n    kind: hangup\n    prompt: goodbye\n",
	}
	lib := loadLib(t, files)
	var asked []string
	notices := func(_ context.Context, c Contact) []string {
		asked = append(asked, c.ANI)
		if strings.HasPrefix(c.ANI, "020") {
			return []string{"城北宽带故障，预计12:00恢复", "第二条"}
		}
		return nil
	}
	r := NewRunner(lib, Config{Clock: &manualClock{}, Notices: notices})

	voice := &scripted{kind: Voice}
	if _, err := r.Run(context.Background(), Contact{ID: "v", ANI: "02088880000"}, voice); err != nil {
		t.Fatal(err)
	}
	if len(voice.played) != 2 || voice.played[0] != "zh:notice.outage" {
		t.Fatalf("voice played %q, want the notice once, then the flow", voice.played)
	}

	chat := &textChannel{scripted: scripted{kind: Chat}}
	if _, err := r.Run(context.Background(), Contact{ID: "c", ANI: "02088880001"}, chat); err != nil {
		t.Fatal(err)
	}
	if len(chat.texts) < 1 || !strings.Contains(chat.texts[0], "城北宽带故障，预计12:00恢复") || !strings.Contains(chat.texts[0], "第二条") {
		t.Fatalf("chat showed %q", chat.texts)
	}

	for _, c := range []Contact{{ID: "x", ANI: "075500000000"}, {ID: "y", ANI: "02000000000", Flow: "other"}} {
		ch := &scripted{kind: Voice}
		if _, err := r.Run(context.Background(), c, ch); err != nil {
			t.Fatal(err)
		}
		if len(ch.played) != 1 || ch.played[0] != "zh:goodbye" {
			t.Errorf("%+v played %q, want the flow only", c, ch.played)
		}
	}
	if len(asked) != 3 {
		t.Errorf("notices asked for %v, want the three main-flow starts", asked)
	}

	// A caller who hangs up during the notice has left.
	gone := &hangupOnPlay{scripted: scripted{kind: Voice}}
	res, err := r.Run(context.Background(), Contact{ID: "h", ANI: "02088880002"}, gone)
	if err != nil || res.Outcome != OutcomeAbandoned {
		t.Fatalf("hang-up during the notice: %v %v", res.Outcome, err)
	}
}

type textChannel struct {
	scripted
	texts []string
}

func (c *textChannel) Play(ctx context.Context, u Utterance) (Input, error) {
	c.texts = append(c.texts, u.Text())
	return c.scripted.Play(ctx, u)
}

type hangupOnPlay struct{ scripted }

func (c *hangupOnPlay) Play(context.Context, Utterance) (Input, error) { return Input{}, ErrHangup }
