package agentdesk

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hotline10000/hotline/internal/auth"
)

// Routes registers the pages and sockets:
//
//	GET  /desk/            agent desktop           GET /ws/desk  agents and supervisors (session)
//	GET  /board/           supervisor board        GET /ws/chat  customers (chat token)
//	GET  /chat/            chat widget page        POST /chat/api/start  opens a chat, returns its token
//	GET  /chat/widget.js   embeddable launcher
//	GET  /admin/           administration page (internal/admin's API)
func (g *Gateway) Routes(mux *http.ServeMux) {
	pages := http.FileServerFS(webFS)
	for _, p := range []string{"/desk/", "/board/", "/chat/", "/common/", "/admin/"} {
		mux.Handle("GET "+p, securePage(pages))
	}
	mux.HandleFunc("GET /ws/desk", g.serveDesk)
	mux.HandleFunc("GET /ws/chat", g.serveChat)
	mux.HandleFunc("POST /chat/api/start", g.startChatHTTP)
	mux.HandleFunc("OPTIONS /chat/api/start", g.startChatHTTP)
}

// securePage adds the headers that keep the pages from running anything
// but their own scripts, even if some text slipped into HTML. Who may frame
// a page (frame-ancestors) is the server's http.frame_ancestors setting,
// sent by its own middleware (httpapi.FrameAncestors), not decided here.
func securePage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-cache")
		next.ServeHTTP(w, r)
	})
}

// serving waits for Run to start (requests may arrive first) and refuses
// once the gateway stopped.
func (g *Gateway) serving(w http.ResponseWriter, r *http.Request) bool {
	select {
	case <-g.ready:
	case <-g.done:
	case <-r.Context().Done():
	}
	select {
	case <-g.done:
	default:
		select {
		case <-g.ready:
			return true
		default:
		}
	}
	http.Error(w, "desk gateway not running", http.StatusServiceUnavailable)
	return false
}

// tokenFrom reads the credentials like the auth middleware does: a bearer
// header, else the session cookie the login page set.
func tokenFrom(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		t, _ := strings.CutPrefix(h, "Bearer ")
		return strings.TrimSpace(t)
	}
	if c, err := r.Cookie(auth.CookieName); err == nil {
		return c.Value
	}
	return ""
}

func offers(r *http.Request, proto string) bool {
	return slices.Contains(websocket.Subprotocols(r), proto)
}

func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true // not a browser
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

func (g *Gateway) chatOrigin(r *http.Request) bool {
	return sameOrigin(r) || slices.Contains(g.o.AllowedOrigins, r.Header.Get("Origin"))
}

func (g *Gateway) upgrader(proto string, origin func(*http.Request) bool) *websocket.Upgrader {
	return &websocket.Upgrader{ReadBufferSize: 512, WriteBufferSize: 1024, WriteBufferPool: writePool,
		Subprotocols: []string{proto}, CheckOrigin: origin, HandshakeTimeout: 10 * time.Second}
}

var writePool = &sync.Pool{}

func (g *Gateway) serveDesk(w http.ResponseWriter, r *http.Request) {
	if !g.serving(w, r) {
		return
	}
	p, err := g.o.Auth.Authenticate(r.Context(), tokenFrom(r))
	switch {
	case errors.Is(err, auth.ErrNoToken), errors.Is(err, auth.ErrInvalidToken):
		http.Error(w, "unauthenticated", http.StatusUnauthorized)
		return
	case err != nil:
		http.Error(w, "authentication unavailable", http.StatusServiceUnavailable)
		return
	case !p.Can(auth.PermDesk) && !p.Can(auth.PermBoard), p.AgentID == "":
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	case !sameOrigin(r):
		http.Error(w, "cross-origin desk socket refused", http.StatusForbidden)
		return
	case !offers(r, DeskProtocol):
		http.Error(w, "subprotocol "+DeskProtocol+" required", http.StatusBadRequest)
		return
	}
	ws, err := g.upgrader(DeskProtocol, sameOrigin).Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered
	}
	g.serveConn(ws, &deskClient{g: g, p: p, addr: g.o.ClientAddr(r), token: tokenFrom(r), authAt: g.o.Clock.Now()})
}

func (g *Gateway) serveChat(w http.ResponseWriter, r *http.Request) {
	if !g.serving(w, r) {
		return
	}
	tok := chatToken(r)
	var ok bool
	if tok != "" {
		_, ok = g.chatTokens.Load(hashToken(tok))
	}
	switch {
	case !ok:
		http.Error(w, "unknown or expired chat token", http.StatusUnauthorized)
		return
	case !g.chatOrigin(r):
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	case !offers(r, ChatProtocol):
		http.Error(w, "subprotocol "+ChatProtocol+" required", http.StatusBadRequest)
		return
	}
	ws, err := g.upgrader(ChatProtocol, g.chatOrigin).Upgrade(w, r, nil)
	if err != nil {
		return
	}
	g.serveConn(ws, &chatClient{g: g, tokenHash: hashToken(tok)})
}

// TokenProtocol prefixes the chat token when a client sends it as a
// second offered subprotocol (the widget does), which keeps it out of URLs
// and access logs; ?token= works too.
const TokenProtocol = "hotline.token."

func chatToken(r *http.Request) string {
	for _, p := range websocket.Subprotocols(r) {
		if t, ok := strings.CutPrefix(p, TokenProtocol); ok {
			return t
		}
	}
	return r.URL.Query().Get("token")
}

type startRequest struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
	Topic string `json:"topic"`
	Lang  string `json:"lang"`
}

// The limits a chat start is refused by (the "limit" of its 429 body): the
// settings that set them, so an operator (or a load tool) sees which one.
const (
	LimitPerAddress = "desk.chat_starts_per_address" // one client address (Options.ChatStartsPerAddress)
	LimitPerNode    = "desk.chat_starts_per_second"  // every customer of this node together (Options.ChatStarts)
)

// startRefused is the body of a 429 from /chat/api/start.
type startRefused struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Limit   string `json:"limit"`
}

// startChatHTTP opens a chat and returns its token (shown once; only its
// hash is kept).
func (g *Gateway) startChatHTTP(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && slices.Contains(g.o.AllowedOrigins, o) {
		w.Header().Set("Access-Control-Allow-Origin", o)
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		w.Header().Set("Vary", "Origin")
	}
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if !g.serving(w, r) {
		return
	}
	if !g.chatOrigin(r) {
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	// One client's flood is refused before it draws on the allowance
	// every customer shares.
	if ok, wait := g.perAddr.allow(g.o.ClientAddr(r), g.o.Clock.Now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		writeJSON(w, http.StatusTooManyRequests, startRefused{Code: CodeRateLimited, Limit: LimitPerAddress,
			Message: "too many new chats from your address; try again later"})
		return
	}
	if !g.starts.AllowN(g.o.Clock.Now(), 1) {
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, startRefused{Code: CodeRateLimited, Limit: LimitPerNode,
			Message: "too many new chats; try again"})
		return
	}
	var req startRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	if err := dec.Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, Error{Code: CodeBadFrame, Message: "body: " + err.Error()})
		return
	}
	info, e := req.info()
	if e != nil {
		writeJSON(w, http.StatusBadRequest, e)
		return
	}
	var token, contact string
	if err := g.do(func(h *hub) { token, contact = h.startChat(info) }); err != nil {
		http.Error(w, "stopped", http.StatusServiceUnavailable)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": token, "contact_id": contact, "protocol": ChatProtocol})
}

func (s startRequest) info() (CustomerInfo, *Error) {
	info := CustomerInfo{Name: strings.TrimSpace(s.Name), Phone: strings.TrimSpace(s.Phone), Topic: strings.TrimSpace(s.Topic), Lang: s.Lang}
	switch {
	case len([]rune(info.Name)) > 40:
		return info, failf(CodeInvalid, "name: at most 40 characters")
	case len([]rune(info.Topic)) > 80:
		return info, failf(CodeInvalid, "topic: at most 80 characters")
	case info.Lang != "" && info.Lang != "zh" && info.Lang != "en":
		return info, failf(CodeInvalid, "lang: zh or en")
	}
	for _, r := range info.Phone {
		if (r < '0' || r > '9') && r != '+' && r != '-' && r != ' ' {
			return info, failf(CodeInvalid, "phone: digits only")
		}
	}
	if len(info.Phone) > 20 {
		return info, failf(CodeInvalid, "phone: at most 20 characters")
	}
	if info.Phone != "" {
		info.ANI = phoneSpacing.Replace(info.Phone)
	}
	return info, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}
