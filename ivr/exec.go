package ivr

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// exec runs one node and returns the name of the next node in the current
// flow ("" returns from a subflow).
func (ru *run) exec(ctx context.Context, n *Node) (string, error) {
	ru.followLang()
	switch n.Kind {
	case KindPlay:
		if _, err := ru.ch.Play(ctx, ru.utter(n.Prompt, false, nil)); err != nil {
			return "", err
		}
		return n.Next, nil
	case KindMenu:
		key, err := ru.ask(ctx, n, n.Options)
		if err != nil || key == "" {
			return n.Exhausted, err
		}
		ru.notePath(n, key)
		return n.Options[key], nil
	case KindSurvey:
		key, err := ru.ask(ctx, n, surveyOptions)
		if err != nil {
			return "", err
		}
		if key != "" {
			score := int(key[0] - '0')
			ru.setVar(n.Var, score, false)
			ru.emit(SurveyResult{Header: ru.head(), Node: n.Name, Score: score})
		}
		return n.Next, nil
	case KindCollect:
		return ru.collect(ctx, n)
	case KindBranch:
		for _, c := range n.branchCases {
			if ok, _ := ru.eval(c.prog).(bool); ok {
				return c.then, nil
			}
		}
		return n.Else, nil
	case KindLookup:
		return ru.lookup(ctx, n)
	case KindAnswer:
		return ru.answer(ctx, n)
	case KindTransfer:
		return ru.transfer(ctx, n)
	case KindTicket:
		return ru.ticket(ctx, n)
	case KindRecord:
		return ru.record(ctx, n)
	case KindSubflow:
		sub := ru.lib.flows[n.Flow]
		if len(ru.stack) >= 32 {
			return "", errors.New("subflows nested deeper than 32")
		}
		ru.stack = append(ru.stack, frame{flow: ru.flow, next: n.Next})
		ru.flow = sub
		return sub.Start, nil
	case KindGoto:
		return n.To, nil
	case KindSet:
		for _, sv := range n.setValues {
			v := sv.literal
			if sv.prog != nil {
				v = ru.eval(sv.prog)
			}
			ru.setVar(sv.name, v, false)
		}
		return n.Next, nil
	case KindLanguage:
		ru.lang = n.Lang
		ru.vars["lang"] = n.Lang
		return n.Next, nil
	case KindHangup:
		if len(n.Prompt) > 0 {
			if _, err := ru.ch.Play(ctx, ru.utter(n.Prompt, false, nil)); err != nil {
				return "", err
			}
		}
		return "", errEnd
	case KindReturn:
		return "", nil
	}
	return "", errors.New("unknown node kind " + string(n.Kind))
}

var surveyOptions = map[string]string{"1": "satisfied", "2": "neutral", "3": "dissatisfied"}

// eval runs an expression over the run's variables; a runtime error (a
// type mismatch, say) yields nil and is logged.
func (ru *run) eval(p *vm.Program) any {
	env := make(map[string]any, len(ru.vars)+1)
	for k, v := range ru.vars {
		env[k] = v
	}
	env["open"] = func(name string) bool {
		c, ok := ru.lib.calendars[name]
		return ok && c.IsOpen(ru.now())
	}
	v, err := expr.Run(p, env)
	if err != nil {
		ru.log.Warn("ivr expression failed", "node", ru.node.Name, "err", oneLine(err))
		return nil
	}
	return v
}

// langChooser is a channel on which the customer can switch language at
// any time (the chat widget's language button).
type langChooser interface{ Lang() string }

// followLang takes up a language the customer chose on the channel.
func (ru *run) followLang() {
	if lc, ok := ru.ch.(langChooser); ok {
		if l := lc.Lang(); l != "" && l != ru.lang && ru.lib.prompts.HasLanguage(l) {
			ru.lang = l
			ru.vars["lang"] = l
		}
	}
}

func (ru *run) utter(segs []Segment, bargeIn bool, choices []Choice) Utterance {
	u := Utterance{Lang: ru.lang, BargeIn: bargeIn, Choices: choices, Prompts: ru.lib.prompts, Items: make([]Item, 0, len(segs))}
	for _, s := range segs {
		if s.Say != "" {
			u.Items = append(u.Items, Item{Say: s.Say, Value: str(ru.vars[s.Var])})
		} else {
			u.Items = append(u.Items, Item{Prompt: s.Prompt})
		}
	}
	return u
}

// wait waits for caller input for d (voice). Chat waits the flow's chat
// idle time instead and ends the run as idle when it passes; chat text
// matching a flow keyword jumps there.
func (ru *run) wait(ctx context.Context, d time.Duration) (Input, error) {
	if ru.kind == Chat {
		d = ru.flow.ChatIdle
	}
	in, err := ru.ch.Receive(ctx, ru.now().Add(d), nil)
	if errors.Is(err, ErrTimeout) && ru.kind == Chat {
		return in, errIdle
	}
	if err != nil {
		return in, err
	}
	return in, ru.keyword(in)
}

func (ru *run) keyword(in Input) error {
	if in.Kind != InputText {
		return nil
	}
	word := strings.ToLower(strings.TrimSpace(in.Text))
	if t, ok := ru.flow.Keywords[word]; ok {
		return keywordJump{node: t, depth: len(ru.stack)}
	}
	// A keyword of a calling flow leaves the subflows above it.
	for i := len(ru.stack) - 1; i >= 0; i-- {
		if t, ok := ru.stack[i].flow.Keywords[word]; ok {
			return keywordJump{node: t, depth: i, flow: ru.stack[i].flow}
		}
	}
	return nil
}

func (ru *run) choices(n *Node, options map[string]string) []Choice {
	if ru.kind != Chat {
		return nil
	}
	var cs []Choice
	for _, k := range "1234567890*#" {
		key := string(k)
		if _, ok := options[key]; !ok {
			continue
		}
		label := key
		if id, ok := n.Buttons[key]; ok {
			if t, ok := ru.lib.prompts.Text(ru.lang, id); ok {
				label = t
			}
		}
		cs = append(cs, Choice{Key: key, Label: label})
	}
	return cs
}

// ask plays n's prompt and takes one key from options, with repeat,
// retries and invalid/no-input prompts. It returns "" when the retries are
// exhausted.
func (ru *run) ask(ctx context.Context, n *Node, options map[string]string) (string, error) {
	return ru.askWith(ctx, n, options, nil)
}

// askWith is ask with an article shown along the prompt (chat).
func (ru *run) askWith(ctx context.Context, n *Node, options map[string]string, art *Article) (string, error) {
	choices := ru.choices(n, options)
	for tries := 0; ; {
		u := ru.utter(n.Prompt, n.BargeIn, choices)
		u.Article = art
		in, err := ru.ch.Play(ctx, u)
		if err != nil {
			return "", err
		}
		if err := ru.keyword(in); err != nil {
			return "", err
		}
		if in.Kind == InputNone {
			in, err = ru.wait(ctx, n.Timeout)
		}
		var retry []Segment
		switch {
		case errors.Is(err, ErrTimeout):
			ru.emit(InputReceived{Header: ru.head(), Node: n.Name, Timeout: true})
			retry = n.NoInput
		case err != nil:
			return "", err
		default:
			key := ru.optionKey(n, options, in)
			_, ok := options[key]
			repeat := key != "" && key == n.Repeat
			ru.emit(InputReceived{Header: ru.head(), Node: n.Name, Value: inputValue(in), Valid: ok || repeat})
			if ok {
				return key, nil
			}
			if repeat {
				continue
			}
			retry = n.Invalid
		}
		if tries++; tries >= n.Retries {
			return "", nil
		}
		if len(retry) > 0 {
			if _, err := ru.ch.Play(ctx, ru.utter(retry, false, nil)); err != nil {
				return "", err
			}
		}
	}
}

func inputValue(in Input) string {
	if in.Kind == InputText {
		return in.Text
	}
	return in.Digits
}

// optionKey maps an input to a menu key: the first key pressed, or for
// chat text a typed key, an option's button label (any language) or one
// of its words.
func (ru *run) optionKey(n *Node, options map[string]string, in Input) string {
	if in.Kind == InputDigits {
		if in.Digits == "" {
			return ""
		}
		return in.Digits[:1]
	}
	text := strings.ToLower(strings.TrimSpace(in.Text))
	if isKey(text) {
		return text
	}
	for key := range options {
		for _, w := range n.Words[key] {
			if strings.ToLower(w) == text {
				return key
			}
		}
		if id, ok := n.Buttons[key]; ok {
			for _, lang := range ru.lib.prompts.langs {
				if t, ok := ru.lib.prompts.Text(lang, id); ok && strings.ToLower(t) == text {
					return key
				}
			}
		}
	}
	return ""
}

func (ru *run) collect(ctx context.Context, n *Node) (string, error) {
	if n.Text {
		return ru.collectText(ctx, n)
	}
	for tries := 0; ; {
		u := ru.utter(n.Prompt, n.BargeIn, nil)
		u.Secret = n.Masked
		in, err := ru.ch.Play(ctx, u)
		if err != nil {
			return "", err
		}
		if err := ru.keyword(in); err != nil {
			return "", err
		}
		var buf strings.Builder
		timedOut, done := false, false
		d := n.Timeout
		for !done {
			if in.Kind == InputNone {
				in, err = ru.wait(ctx, d)
				if errors.Is(err, ErrTimeout) {
					timedOut = true
					break
				}
				if err != nil {
					return "", err
				}
			}
			keys := in.Digits
			if in.Kind == InputText {
				// A typed number may be grouped: "138 0013-8000".
				keys, done = strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(in.Text)), true
			}
			for _, k := range keys {
				if n.Terminator != "" && string(k) == n.Terminator {
					done = true
					break
				}
				buf.WriteRune(k)
				if buf.Len() >= n.Max {
					done = true
					break
				}
			}
			in, d = Input{}, n.InterDigit
		}
		got := buf.String()
		var retry []Segment
		if timedOut && got == "" {
			ru.emit(InputReceived{Header: ru.head(), Node: n.Name, Timeout: true, Masked: n.Masked})
			retry = n.NoInput
		} else {
			valid := len(got) >= n.Min && len(got) <= n.Max && strings.Trim(got, "0123456789") == "" &&
				(n.Pattern == nil || n.Pattern.MatchString(got))
			shown := got
			if n.Masked {
				shown = ""
			}
			ru.emit(InputReceived{Header: ru.head(), Node: n.Name, Value: shown, Masked: n.Masked, Valid: valid})
			if valid {
				ru.setVar(n.Var, got, n.Masked)
				return n.Next, nil
			}
			retry = n.Invalid
		}
		if tries++; tries >= n.Retries {
			return n.Exhausted, nil
		}
		if len(retry) > 0 {
			if _, err := ru.ch.Play(ctx, ru.utter(retry, false, nil)); err != nil {
				return "", err
			}
		}
	}
}

// collectText takes one message of free text (chat). Voice cannot type:
// the variable is set to "" and the flow goes on.
func (ru *run) collectText(ctx context.Context, n *Node) (string, error) {
	if ru.kind != Chat {
		ru.setVar(n.Var, "", false)
		return n.Next, nil
	}
	for tries := 0; ; {
		u := ru.utter(n.Prompt, false, nil)
		u.Secret = n.Masked
		if _, err := ru.ch.Play(ctx, u); err != nil {
			return "", err
		}
		in, err := ru.wait(ctx, n.Timeout)
		if err != nil {
			return "", err
		}
		got := strings.TrimSpace(in.Text)
		if in.Kind == InputDigits {
			got = in.Digits
		}
		l := utf8.RuneCountInString(got)
		valid := in.Kind != InputQueue && l >= n.Min && l <= n.Max && (n.Pattern == nil || n.Pattern.MatchString(got))
		shown := got
		if n.Masked {
			shown = ""
		}
		ru.emit(InputReceived{Header: ru.head(), Node: n.Name, Value: shown, Masked: n.Masked, Valid: valid})
		if valid {
			ru.setVar(n.Var, got, n.Masked)
			return n.Next, nil
		}
		if tries++; tries >= n.Retries {
			return n.Exhausted, nil
		}
		if len(n.Invalid) > 0 {
			if _, err := ru.ch.Play(ctx, ru.utter(n.Invalid, false, nil)); err != nil {
				return "", err
			}
		}
	}
}
