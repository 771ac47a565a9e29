package agentdesk

// chatClient is a customer's widget socket, authorised by the chat token.
type chatClient struct {
	g         *Gateway
	tokenHash string
}

// chatSnapshot is the whole conversation so far, for a widget that lost
// track (a fresh page, or frames too old to replay).
type chatSnapshot struct {
	Contact    string    `json:"contact_id"`
	Transcript []Message `json:"transcript"`
	Agent      bool      `json:"agent"` // an agent is in the chat
	Position   int       `json:"position,omitempty"`
	Ended      bool      `json:"ended"`
}

func (cc *chatClient) hello(c *conn, f Frame) (*session, *Error) {
	var hd helloData
	if e := decodeData(f, &hd); e != nil {
		return nil, e
	}
	var s *session
	err := cc.g.do(func(h *hub) {
		s = h.tokens[cc.tokenHash]
		if s == nil {
			return
		}
		ch := s.chat
		s.chat.back = true
		h.attach(s, c, f.ID, hd, func() any {
			return chatSnapshot{Contact: ch.id, Transcript: append([]Message{}, ch.msgs...), Agent: ch.agent != "",
				Position: ch.position, Ended: ch.ended}
		})
	})
	switch {
	case err != nil:
		return nil, failf(CodeUnavailable, err.Error())
	case s == nil:
		return nil, failf(CodeForbidden, "chat token expired")
	}
	return s, nil
}

func (cc *chatClient) handle(s *session, c *conn, f Frame) (any, *Error) {
	switch f.Type {
	case "ping":
		return nil, nil
	case "chat.send":
		var in struct {
			MsgID string `json:"msg_id"`
			Text  string `json:"text"`
		}
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		text, e := cleanText(in.Text)
		if e != nil {
			return nil, e
		}
		if in.MsgID == "" || len(in.MsgID) > maxCommandID {
			return nil, failf(CodeInvalid, "msg_id: 1 to 64 characters")
		}
		return nil, cc.onChat(s, func(h *hub, ch *chat) *Error { return h.customerSays(ch, in.MsgID, text) })
	case "chat.typing":
		return nil, cc.onChat(s, func(h *hub, ch *chat) *Error {
			if ch.agent != "" && !ch.ended {
				if a := h.agentDesk(ch.agent); a != nil {
					h.volatile(a, "chat.typing", map[string]string{"contact_id": ch.id, "from": "customer"})
				}
			}
			return nil
		})
	case "chat.read":
		var in struct {
			N int `json:"n"`
		}
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		return nil, cc.onChat(s, func(h *hub, ch *chat) *Error {
			if in.N > ch.readBy["customer"] && in.N <= ch.lastN() {
				ch.readBy["customer"] = in.N
				if ch.agent != "" {
					h.toAgent(ch.agent, "chat.read", map[string]any{"contact_id": ch.id, "by": "customer", "n": in.N})
				}
			}
			return nil
		})
	case "chat.lang":
		// The widget switched language: the flow speaks it from its next
		// prompt on.
		var in struct {
			Lang string `json:"lang"`
		}
		if err := decodeData(f, &in); err != nil {
			return nil, err
		}
		if in.Lang != "zh" && in.Lang != "en" {
			return nil, failf(CodeInvalid, "lang: zh or en")
		}
		return nil, cc.onChat(s, func(h *hub, ch *chat) *Error {
			ch.info.Lang = in.Lang
			ch.ch.SetLang(in.Lang)
			return nil
		})
	case "chat.leave":
		return nil, cc.onChat(s, func(h *hub, ch *chat) *Error {
			if !ch.ended {
				h.customerLeft(ch, false)
			}
			return nil
		})
	}
	return nil, failf(CodeUnknownType, "unknown command "+f.Type)
}

func (cc *chatClient) onChat(s *session, fn func(*hub, *chat) *Error) *Error {
	var out *Error
	if err := cc.g.do(func(h *hub) { out = fn(h, s.chat) }); err != nil {
		return failf(CodeUnavailable, err.Error())
	}
	return out
}

func (c *chat) lastN() int {
	if len(c.msgs) == 0 {
		return 0
	}
	return c.msgs[len(c.msgs)-1].N
}
