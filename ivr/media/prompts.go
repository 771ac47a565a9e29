package media

import (
	"errors"
	"fmt"

	"github.com/hotline10000/hotline/ivr"
)

// Prompts holds every audio prompt of a catalog decoded and ready to play.
// Built once at start: a corrupt or missing-format file refuses the start
// naming its path instead of failing a caller mid-call.
type Prompts struct {
	clips map[string]map[string]*Clip // lang → id → clip
}

// LoadPrompts decodes all audio of cat; the error lists every bad file.
func LoadPrompts(cat *ivr.Catalog) (*Prompts, error) {
	p := &Prompts{clips: map[string]map[string]*Clip{}}
	var errs []error
	for _, lang := range cat.Languages() {
		p.clips[lang] = map[string]*Clip{}
		for _, id := range cat.AudioIDs(lang) {
			name, _ := cat.AudioPath(lang, id)
			c, err := loadPrompt(cat, lang, id, name)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			p.clips[lang][id] = c
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("prompts: %w", err)
	}
	return p, nil
}

func loadPrompt(cat *ivr.Catalog, lang, id, name string) (*Clip, error) {
	f, err := cat.Open(lang, id)
	if err != nil {
		return nil, fmt.Errorf("wav %s: %w", name, err)
	}
	defer f.Close()
	return ReadWAV(f, name)
}

// Clip returns prompt id's audio in lang.
func (p *Prompts) Clip(lang, id string) (*Clip, bool) {
	c, ok := p.clips[lang][id]
	return c, ok
}

// Len is the number of clips held.
func (p *Prompts) Len() int {
	n := 0
	for _, m := range p.clips {
		n += len(m)
	}
	return n
}

// Utterance returns the clips that speak u (its Parts in order); a part
// without audio is an error naming it.
func (p *Prompts) Utterance(u ivr.Utterance) ([]*Clip, error) {
	parts := u.Parts()
	out := make([]*Clip, 0, len(parts))
	for _, part := range parts {
		c, ok := p.clips[u.Lang][part.ID]
		if !ok {
			return nil, fmt.Errorf("prompt %s/%s has no audio", u.Lang, part.ID)
		}
		out = append(out, c)
	}
	return out, nil
}
