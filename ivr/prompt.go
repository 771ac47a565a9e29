package ivr

import (
	"bufio"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hotline10000/hotline/ivr/prompts"
)

// Catalog maps prompt ids to their text (chat) and audio (voice) per
// language. Texts come from <lang>.tsv files ("id<TAB>text" lines), audio
// from <lang>/<id>.wav beside them.
type Catalog struct {
	text map[string]map[string]string // lang → id → text
	// chat holds the chat wording of prompts whose voice wording speaks of
	// keys ("请按1", "以井号键结束"), from <lang>.chat.tsv; lang → id → text.
	chat  map[string]map[string]string
	audio map[string]map[string]audioRef
	langs []string // sorted; DefaultLang first
}

type audioRef struct {
	fsys fs.FS
	path string
}

// DefaultLang is the language a run starts in unless the contact says
// otherwise.
const DefaultLang = "zh"

var defaultCatalog = sync.OnceValues(func() (*Catalog, error) { return LoadCatalog(prompts.FS, ".") })

// DefaultCatalog returns a copy of the shipped prompts (package prompts).
func DefaultCatalog() (*Catalog, error) {
	c, err := defaultCatalog()
	if err != nil {
		return nil, err
	}
	return c.clone(), nil
}

func (c *Catalog) clone() *Catalog {
	n := &Catalog{text: make(map[string]map[string]string, len(c.text)), audio: make(map[string]map[string]audioRef, len(c.audio)),
		chat: make(map[string]map[string]string, len(c.chat)), langs: append([]string(nil), c.langs...)}
	for l, m := range c.text {
		n.text[l] = maps.Clone(m)
	}
	for l, m := range c.chat {
		n.chat[l] = maps.Clone(m)
	}
	for l, m := range c.audio {
		n.audio[l] = maps.Clone(m)
	}
	return n
}

// LoadCatalog reads dir/<lang>.tsv, dir/<lang>.chat.tsv and
// dir/<lang>/*.wav from fsys.
func LoadCatalog(fsys fs.FS, dir string) (*Catalog, error) {
	c := &Catalog{text: map[string]map[string]string{}, audio: map[string]map[string]audioRef{}, chat: map[string]map[string]string{}}
	if err := c.add(fsys, dir); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Catalog) add(fsys fs.FS, dir string) error {
	files, err := fs.Glob(fsys, path.Join(dir, "*.tsv"))
	if err != nil {
		return fmt.Errorf("prompts %s: %w", dir, err)
	}
	var probs []Problem
	if c.chat == nil {
		c.chat = map[string]map[string]string{}
	}
	var chatFiles []string
	for _, f := range files {
		if strings.HasSuffix(f, ".chat.tsv") {
			chatFiles = append(chatFiles, f)
			continue
		}
		lang := strings.TrimSuffix(path.Base(f), ".tsv")
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return fmt.Errorf("prompts: %w", err)
		}
		if c.text[lang] == nil {
			c.text[lang] = map[string]string{}
			c.audio[lang] = map[string]audioRef{}
		}
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for line := 1; sc.Scan(); line++ {
			l := strings.TrimRight(sc.Text(), "\r")
			if l == "" || strings.HasPrefix(l, "#") {
				continue
			}
			id, text, ok := strings.Cut(l, "\t")
			id, text = strings.TrimSpace(id), strings.TrimSpace(text)
			if !ok || id == "" || text == "" {
				probs = append(probs, Problem{File: f, Line: line, Msg: "want prompt id, a tab, and the text"})
				continue
			}
			c.text[lang][id] = text
		}
		wavs, _ := fs.Glob(fsys, path.Join(dir, lang, "*.wav"))
		for _, w := range wavs {
			c.audio[lang][strings.TrimSuffix(path.Base(w), ".wav")] = audioRef{fsys: fsys, path: w}
		}
	}
	// Chat wordings replace prompts that exist: a chat-only id would leave
	// voice without text or audio.
	for _, f := range chatFiles {
		lang := strings.TrimSuffix(path.Base(f), ".chat.tsv")
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return fmt.Errorf("prompts: %w", err)
		}
		if c.chat[lang] == nil {
			c.chat[lang] = map[string]string{}
		}
		for line, l := range strings.Split(string(data), "\n") {
			l = strings.TrimRight(l, "\r")
			if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
				continue
			}
			id, text, ok := strings.Cut(l, "\t")
			id, text = strings.TrimSpace(id), strings.TrimSpace(text)
			switch {
			case !ok || id == "" || text == "":
				probs = append(probs, Problem{File: f, Line: line + 1, Msg: "want prompt id, a tab, and the text"})
			case c.text[lang][id] == "":
				probs = append(probs, Problem{File: f, Line: line + 1, Msg: fmt.Sprintf("prompt %q has no %s voice text to reword", id, lang)})
			default:
				c.chat[lang][id] = text
			}
		}
	}
	c.langs = c.langs[:0]
	for l := range c.text {
		c.langs = append(c.langs, l)
	}
	sort.Slice(c.langs, func(i, j int) bool {
		if (c.langs[i] == DefaultLang) != (c.langs[j] == DefaultLang) {
			return c.langs[i] == DefaultLang
		}
		return c.langs[i] < c.langs[j]
	})
	if len(probs) > 0 {
		return &LoadError{Problems: probs}
	}
	return nil
}

// Languages lists the catalog's languages, DefaultLang first.
func (c *Catalog) Languages() []string { return append([]string(nil), c.langs...) }

// HasLanguage reports whether lang has texts.
func (c *Catalog) HasLanguage(lang string) bool { _, ok := c.text[lang]; return ok }

// Text returns the text of prompt id in lang.
func (c *Catalog) Text(lang, id string) (string, bool) {
	t, ok := c.text[lang][id]
	return t, ok
}

// ChatText returns the chat wording of prompt id in lang: its
// <lang>.chat.tsv text, else its voice text.
func (c *Catalog) ChatText(lang, id string) (string, bool) {
	if t, ok := c.chat[lang][id]; ok {
		return t, true
	}
	return c.Text(lang, id)
}

// HasAudio reports whether prompt id has an audio file in lang.
func (c *Catalog) HasAudio(lang, id string) bool {
	_, ok := c.audio[lang][id]
	return ok
}

// AudioIDs lists the prompt ids that have audio in lang, sorted (the
// voice channel loads them all at start).
func (c *Catalog) AudioIDs(lang string) []string {
	ids := make([]string, 0, len(c.audio[lang]))
	for id := range c.audio[lang] {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// AudioPath names the file of prompt id's audio in lang, for messages.
func (c *Catalog) AudioPath(lang, id string) (string, bool) {
	a, ok := c.audio[lang][id]
	return a.path, ok
}

// Open opens the audio of prompt id in lang (8 kHz mono G.711 WAV for the
// shipped prompts).
func (c *Catalog) Open(lang, id string) (fs.File, error) {
	a, ok := c.audio[lang][id]
	if !ok {
		return nil, fmt.Errorf("prompt %s/%s: %w", lang, id, fs.ErrNotExist)
	}
	return a.fsys.Open(a.path)
}

// Utterance is what a node says: prompts and say pieces in one language,
// and for chat the choices to show as buttons.
type Utterance struct {
	Lang    string
	Items   []Item
	BargeIn bool
	Choices []Choice
	Prompts *Catalog
	// Secret: the answer to this utterance is masked input (a PIN). Chat
	// shows the customer's reply as dots, in their bubble, the agent's
	// transcript and anything built from it.
	Secret bool
	// Article is a knowledge-base answer shown with the prompt (chat only;
	// voice has no way to show it).
	Article *Article
}

// Item is a prompt id, or a say piece (Say set) with its value. Text,
// when set, is what chat shows instead of the prompt's chat wording (an
// administrator's notice); voice plays the prompt.
type Item struct {
	Prompt string
	Say    SayKind
	Value  string
	Text   string
}

// Choice is one option of a menu, shown in chat as a button.
type Choice struct {
	Key   string // the digit that selects it
	Label string
}

// Part is one audio file to play and the text it stands for.
type Part struct {
	ID   string
	Text string
}

// Parts expands the utterance into prompt ids with their texts; say pieces
// become number, money and date words in the utterance's language.
func (u Utterance) Parts() []Part {
	var parts []Part
	for _, it := range u.Items {
		ids := []string{it.Prompt}
		if it.Say != "" {
			ids = Say(u.Lang, it.Say, it.Value)
		}
		for _, id := range ids {
			t, _ := u.Prompts.Text(u.Lang, id)
			parts = append(parts, Part{ID: id, Text: t})
		}
	}
	return parts
}

// Text renders the utterance for chat, as a chat speaks: prompts in their
// chat wording (buttons, not keys), say pieces as digits, amounts and
// dates as written, punctuation between the pieces. Voice uses Parts.
func (u Utterance) Text() string {
	zh := u.Lang == "zh"
	var b strings.Builder
	prevSay := false
	for _, it := range u.Items {
		var piece string
		switch {
		case it.Text != "":
			piece = it.Text
		case it.Say != "":
			piece = chatSay(zh, it.Say, it.Value)
		default:
			piece, _ = u.Prompts.ChatText(u.Lang, it.Prompt)
		}
		if piece == "" {
			continue
		}
		if b.Len() > 0 {
			last, _ := utf8.DecodeLastRuneInString(b.String())
			first, _ := utf8.DecodeRuneInString(piece)
			switch {
			case isPunct(first):
			case !prevSay && it.Say == "" && !isPunct(last):
				// Two prompts run together: end the first sentence.
				if zh {
					b.WriteString("。")
				} else {
					b.WriteString(". ")
				}
			case !zh:
				b.WriteByte(' ')
			}
		}
		b.WriteString(piece)
		prevSay = it.Say != ""
	}
	if b.Len() > 0 {
		if last, _ := utf8.DecodeLastRuneInString(b.String()); !isPunct(last) {
			if zh {
				b.WriteString("。")
			} else {
				b.WriteString(".")
			}
		}
	}
	return b.String()
}

// Spoken is the text of the voice rendering (Parts), what the caller
// hears: numbers and amounts in words.
func (u Utterance) Spoken() string {
	var b strings.Builder
	for i, p := range u.Parts() {
		if i > 0 && u.Lang != "zh" {
			b.WriteByte(' ')
		}
		b.WriteString(p.Text)
	}
	return b.String()
}

// Copyable lists the values the utterance says as digits (ticket and
// request numbers), which the chat shows as copyable.
func (u Utterance) Copyable() []string {
	var out []string
	for _, it := range u.Items {
		if it.Say == SayDigits && it.Value != "" {
			out = append(out, it.Value)
		}
	}
	return out
}

func isPunct(r rune) bool {
	return strings.ContainsRune(".,;:!?。，；：！？、)）」”", r)
}

// chatSay writes value of kind as a chat shows it: digits stay digits.
func chatSay(zh bool, kind SayKind, value string) string {
	if CheckSay(kind, value) != nil {
		return value
	}
	switch kind {
	case SayMoney:
		m, _ := ParseMoney(value)
		if zh {
			return m.String() + "元"
		}
		return "¥" + m.String()
	case SayDate:
		d, _ := time.Parse(time.DateOnly, value)
		if zh {
			return fmt.Sprintf("%d年%d月%d日", d.Year(), d.Month(), d.Day())
		}
		return d.Format("2 January 2006")
	}
	return value
}

// String is the compact form flow tests compare: prompt ids and say
// pieces as kind(value), space separated.
func (u Utterance) String() string {
	var b strings.Builder
	for i, it := range u.Items {
		if i > 0 {
			b.WriteByte(' ')
		}
		if it.Say != "" {
			fmt.Fprintf(&b, "%s(%s)", it.Say, it.Value)
		} else {
			b.WriteString(it.Prompt)
		}
	}
	return b.String()
}
