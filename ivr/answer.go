package ivr

import (
	"context"
)

// Answers finds knowledge-base articles answering a customer's question:
// public, published and valid ones only, best first. The knowledge
// package serves it (cmd/hotline adapts knowledge.Service).
type Answers interface {
	Answer(ctx context.Context, question, lang string, limit int) ([]Article, error)
}

// Article is a knowledge-base answer as a chat shows it.
type Article struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// HTML is the article rendered from Markdown and sanitized (no
	// scripts, handlers, styles or javascript: links); Text its plain text.
	HTML string `json:"html"`
	Text string `json:"-"`
}

// The answer node's two buttons.
const (
	answerHelped    = "1"
	answerNotHelped = "2"
)

// answer (chat) looks up the public article that best answers the question
// in n.Question and shows it with two buttons. "It helped" makes the
// contact self-service (EF06 counts it when the run then ends without an
// agent) and goes to next; "it did not", no choice, no article
// (not_found), a failed lookup (error) or a voice call go to else (an
// agent, usually). kb_article holds the article shown, for the agent.
func (ru *run) answer(ctx context.Context, n *Node) (string, error) {
	fallback := func(branch string) string {
		if branch != "" {
			return branch
		}
		return n.Else
	}
	q := str(ru.vars[n.Question])
	if ru.kind != Chat || q == "" || ru.masked[n.Question] {
		return n.Else, nil
	}
	a := ru.r.cfg.Answers
	if a == nil {
		ru.log.Warn("ivr answer without a knowledge base", "node", n.Name)
		return fallback(n.Error), nil
	}
	arts, err := a.Answer(ctx, q, ru.lang, 1)
	switch {
	case err != nil:
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		ru.log.Warn("ivr answer failed", "node", n.Name, "err", err)
		return fallback(n.Error), nil
	case len(arts) == 0:
		return fallback(n.NotFound), nil
	}
	art := arts[0]
	ru.setVar("kb_article", art.ID, false)
	key, err := ru.askWith(ctx, n, map[string]string{answerHelped: n.Next, answerNotHelped: n.Else}, &art)
	if err != nil {
		return "", err
	}
	if key != answerHelped {
		return n.Else, nil
	}
	ru.selfService = true
	ru.emit(SelfServiceCompleted{Header: ru.head(), Node: n.Name, Op: "knowledge"})
	return n.Next, nil
}

// PathVar is the variable of the agent's context that holds the menu
// choices the customer made, as their buttons read, joined by PathSep
// ("查询余额 › 人工服务").
const (
	PathVar = "ivr_path"
	PathSep = " › "
)

// notePath records the menu choice key of n (at most the last 10).
func (ru *run) notePath(n *Node, key string) {
	label := n.Options[key]
	if id, ok := n.Buttons[key]; ok {
		if t, ok := ru.lib.prompts.Text(ru.lang, id); ok {
			label = t
		}
	}
	if len(ru.path) >= 10 {
		ru.path = ru.path[1:]
	}
	ru.path = append(ru.path, label)
}
