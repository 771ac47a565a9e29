package agentdesk

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/knowledge"
)

// KnowledgeBase is what the desk's knowledge pane uses of the knowledge
// base (knowledge.Service).
type KnowledgeBase interface {
	Search(ctx context.Context, q knowledge.Query) (knowledge.Result, error)
	Get(ctx context.Context, id string) (knowledge.Article, error)
	// AnswerConfidence is the least knowledge.Confidence of an article
	// the chat flow's answer node offers.
	AnswerConfidence() float64
}

// Limits of the knowledge pane.
const (
	kbPageMax      = 20  // hits per search
	kbSuggest      = 5   // suggestions per chat
	kbSuggestMsgs  = 3   // the customer's last messages searched for suggestions
	kbSuggestChars = 120 // of each, the last characters
)

// kbArticle is an article as the pane shows it.
type kbArticle struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	HTML      string    `json:"html"` // rendered and sanitized
	Category  string    `json:"category"`
	Tags      []string  `json:"tags"`
	Products  []string  `json:"products"`
	Lang      string    `json:"lang"`
	Audience  string    `json:"audience"`
	Status    string    `json:"status"`
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
	// Sendable: public, published and valid now: "send to customer" may
	// put it in a chat.
	Sendable bool `json:"sendable"`
}

// kbCommand serves the knowledge pane: kb.search (search as you type),
// kb.article (read one), kb.suggest (articles for a chat, from the
// customer's last messages and IVR path) and kb.send (a public article
// into the agent's chat).
func (d *deskClient) kbCommand(ctx context.Context, f Frame) (any, *Error) {
	kb := d.g.o.Knowledge
	if kb == nil {
		return nil, failf(CodeUnavailable, "no knowledge base")
	}
	if !d.p.Can(auth.PermKB) {
		return nil, failf(CodeForbidden, "your role may not read the knowledge base")
	}
	now := d.g.o.Clock.Now()
	switch f.Type {
	case "kb.search":
		var in struct {
			Q      string `json:"q"`
			Limit  int    `json:"limit"`
			Offset int    `json:"offset"`
		}
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		if in.Limit == 0 {
			in.Limit = 10
		}
		if in.Limit < 1 || in.Limit > kbPageMax {
			return nil, failf(CodeInvalid, "limit: 1 to 20")
		}
		if in.Offset < 0 || in.Offset > 1000 {
			return nil, failf(CodeInvalid, "offset: 0 to 1000")
		}
		res, err := kb.Search(ctx, knowledge.Query{Text: in.Q, At: now, Limit: in.Limit, Offset: in.Offset})
		if err != nil {
			return nil, kbError(err)
		}
		return res, nil
	case "kb.article":
		var in struct {
			ID string `json:"id"`
		}
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		a, e := d.kbArticle(ctx, in.ID)
		if e != nil {
			return nil, e
		}
		return articleView(&a, now), nil
	case "kb.suggest":
		var in contactRef
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		var queries []string
		if e := d.onChat(in.Contact, func(_ *hub, ch *chat) *Error {
			if ch.agent != d.p.AgentID && !d.p.Can(auth.PermSupervise) {
				return failf(CodeForbidden, "not your chat")
			}
			queries = suggestQueries(ch)
			return nil
		}); e != nil {
			return nil, e
		}
		return suggest(ctx, kb, queries, now)
	case "kb.send":
		var in struct {
			Contact string `json:"contact_id"`
			Article string `json:"article_id"`
			MsgID   string `json:"msg_id"`
		}
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		if in.MsgID == "" || len(in.MsgID) > maxCommandID {
			return nil, failf(CodeInvalid, "msg_id: 1 to 64 characters")
		}
		a, e := d.kbArticle(ctx, in.Article)
		if e != nil {
			return nil, e
		}
		if !sendable(&a, now) {
			return nil, failf(CodeForbidden, "article_id: only a public, published article in force may go to a customer")
		}
		card := &ivr.Article{ID: a.ID, Title: a.Title, HTML: knowledge.Render(a.Body)}
		me := d.p.AgentID
		return nil, d.onChat(in.Contact, func(h *hub, ch *chat) *Error { return h.agentSendsArticle(ch, me, in.MsgID, card) })
	}
	return nil, failf(CodeUnknownType, "unknown command "+f.Type)
}

func (d *deskClient) kbArticle(ctx context.Context, id string) (knowledge.Article, *Error) {
	if id == "" || len(id) > 128 {
		return knowledge.Article{}, failf(CodeInvalid, "id: 1 to 128 characters")
	}
	a, err := d.g.o.Knowledge.Get(ctx, id)
	if err != nil {
		return a, kbError(err)
	}
	// Agents read what searches show them: published articles; editors
	// see every status (as on the REST API's search with statuses).
	if a.Status != knowledge.Published && !d.p.Can(auth.PermKBEdit) {
		return a, failf(CodeNotFound, "no such article")
	}
	return a, nil
}

func kbError(err error) *Error {
	switch {
	case errors.Is(err, knowledge.ErrNotFound):
		return failf(CodeNotFound, "no such article")
	}
	return failf(CodeUnavailable, "knowledge base: "+err.Error())
}

func sendable(a *knowledge.Article, now time.Time) bool {
	return a.Audience == knowledge.Public && a.Status == knowledge.Published && a.ValidAt(now)
}

func articleView(a *knowledge.Article, now time.Time) kbArticle {
	return kbArticle{ID: a.ID, Title: a.Title, HTML: knowledge.Render(a.Body), Category: a.Category, Tags: kbList(a.Tags),
		Products: kbList(a.Products), Lang: a.Lang, Audience: string(a.Audience), Status: string(a.Status), Version: a.Version,
		UpdatedAt: a.UpdatedAt, Sendable: sendable(a, now)}
}

func kbList(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// suggestQueries are the texts a chat's suggestions are searched with,
// most telling first: the customer's last messages (newest first; masked
// input never), then the menu choices of the IVR path and the topic of the
// pre-chat form. It runs on the hub.
func suggestQueries(ch *chat) []string {
	var qs []string
	for i := len(ch.msgs) - 1; i >= 0 && len(qs) < kbSuggestMsgs; i-- {
		m := ch.msgs[i]
		if m.From != "customer" || m.Masked || isDigits(strings.TrimSpace(m.Text)) {
			continue // a typed menu key or a number says nothing to search
		}
		r := []rune(strings.TrimSpace(m.Text))
		if len(r) > kbSuggestChars {
			r = r[len(r)-kbSuggestChars:]
		}
		if len(r) > 0 {
			qs = append(qs, string(r))
		}
	}
	if p := ch.vars[ivr.PathVar]; p != "" {
		qs = append(qs, strings.ReplaceAll(p, ivr.PathSep, " "))
	}
	if ch.info.Topic != "" {
		qs = append(qs, ch.info.Topic)
	}
	return qs
}

// suggest searches each query and merges the hits: an article found by
// several queries comes first, then by the best rank it had.
func suggest(ctx context.Context, kb KnowledgeBase, queries []string, now time.Time) (knowledge.Result, *Error) {
	type seen struct {
		hit   knowledge.Hit
		n     int // queries that found it
		best  int // its best rank
		first int // order found
	}
	byID := map[string]*seen{}
	order := 0
	for _, q := range queries {
		res, err := kb.Search(ctx, knowledge.Query{Text: q, At: now, Limit: kbSuggest})
		if err != nil {
			return knowledge.Result{}, kbError(err)
		}
		for rank, h := range res.Hits {
			s := byID[h.ID]
			if s == nil {
				s = &seen{hit: h, best: rank, first: order}
				order++
				byID[h.ID] = s
			}
			s.n++
			s.best = min(s.best, rank)
		}
	}
	all := make([]*seen, 0, len(byID))
	for _, s := range byID {
		all = append(all, s)
	}
	slices.SortFunc(all, func(a, b *seen) int {
		if a.n != b.n {
			return b.n - a.n
		}
		if a.best != b.best {
			return a.best - b.best
		}
		return a.first - b.first
	})
	out := knowledge.Result{Hits: []knowledge.Hit{}, Query: strings.Join(queries, " | ")}
	for _, s := range all {
		if len(out.Hits) == kbSuggest {
			break
		}
		out.Hits = append(out.Hits, s.hit)
	}
	out.Total = len(out.Hits)
	return out, nil
}

// agentSendsArticle puts a knowledge-base article into the chat as the
// agent's message: the customer's page shows the article (sanitized HTML),
// the transcript keeps its title.
func (h *hub) agentSendsArticle(c *chat, agentID, msgID string, a *ivr.Article) *Error {
	if c.agent != agentID {
		return failf(CodeForbidden, "not your chat")
	}
	if c.ended {
		return failf(CodeConflict, "the chat has ended")
	}
	if !c.markSeen(agentID + "/" + msgID) {
		return nil
	}
	m := h.addMessage(c, Message{MsgID: msgID, From: "agent", Agent: agentID, Text: a.Title, Article: a})
	d := chatMessageData{Contact: c.id, Message: m}
	h.emit(c.cust, "chat.message", d)
	h.toAgent(agentID, "chat.message", d)
	return nil
}

// kbAnswers serves the chat flow's answer node from the knowledge base:
// public articles, published and in force, in the customer's language
// first, that cover enough of the question (knowledge.Confidence at least
// the base's AnswerConfidence): an off-topic question finds no answer and
// the flow goes on to an agent.
type kbAnswers struct {
	kb    KnowledgeBase
	clock Clock
}

func (a kbAnswers) Answer(ctx context.Context, question, lang string, limit int) ([]ivr.Article, error) {
	q := knowledge.Query{Text: question, Audience: knowledge.Public, At: a.clock.Now(), Limit: limit, Lang: lang}
	out, err := a.answer(ctx, q, lang)
	if err == nil && len(out) == 0 && lang != "" {
		q.Lang = ""
		out, err = a.answer(ctx, q, lang)
	}
	return out, err
}

// answer runs q; an article found in another language than the
// customer's (lang) is shown in its linked version in lang when there is
// one in force.
func (a kbAnswers) answer(ctx context.Context, q knowledge.Query, lang string) ([]ivr.Article, error) {
	res, err := a.kb.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]ivr.Article, 0, len(res.Hits))
	for _, h := range res.Hits {
		art, err := a.kb.Get(ctx, h.ID)
		if err != nil {
			return nil, err
		}
		if !sendable(&art, q.At) {
			continue // changed since it was indexed
		}
		if knowledge.Confidence(q.Text, &art) < a.kb.AnswerConfidence() {
			continue
		}
		if lang != "" && art.Lang != lang && art.Linked != "" {
			switch other, err := a.kb.Get(ctx, art.Linked); {
			case err == nil && other.Lang == lang && sendable(&other, q.At):
				art = other
			case err != nil && !errors.Is(err, knowledge.ErrNotFound):
				return nil, err
			}
		}
		out = append(out, ivr.Article{ID: art.ID, Title: art.Title, HTML: knowledge.Render(art.Body)})
	}
	return out, nil
}
