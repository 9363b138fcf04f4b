package media

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Prompt is an announcement ready to play: its 8 kHz samples and the same
// audio as PCMU and PCMA payload bytes (one byte a sample). A Prompt is
// immutable once loaded and may be played on many legs at once.
type Prompt struct {
	samples    []int16
	ulaw, alaw []byte
}

// Samples are the 16-bit linear samples at 8000 Hz (decoded G.711 when the
// file was A-law or μ-law). The caller must not modify them.
func (p *Prompt) Samples() []int16 { return p.samples }

// Payload is the prompt coded in c, one byte a sample. The caller must not
// modify it.
func (p *Prompt) Payload(c Codec) []byte {
	if c == PCMA {
		return p.alaw
	}
	return p.ulaw
}

// Duration is how long the prompt plays.
func (p *Prompt) Duration() time.Duration {
	return time.Duration(len(p.samples)) * time.Second / ClockRate
}

// PromptNone is the prompt name an app sets to play nothing (SPEC §4.3).
// It is never stored; Get reports it as absent.
const PromptNone = "none"

// PromptSet is a set of named prompts: the built-in set loaded from
// testdata/prompts (or wherever the operator keeps it), and one set per app
// for uploads, whose parent is the built-in set so that an app's own
// prompt shadows the default of the same name. Safe for concurrent use:
// uploads replace prompts while calls look them up.
type PromptSet struct {
	parent *PromptSet
	mu     sync.RWMutex
	m      map[string]*Prompt
}

// NewPromptSet returns an empty set whose lookups fall back to parent
// (nil for none).
func NewPromptSet(parent *PromptSet) *PromptSet {
	return &PromptSet{parent: parent, m: make(map[string]*Prompt)}
}

// LoadPromptDir loads every NAME.wav of dir into a new set without parent.
// One bad file fails the whole load: the built-in prompts are part of the
// release, and a broken one is a packaging error to stop on.
func LoadPromptDir(dir string) (*PromptSet, error) {
	s := NewPromptSet(nil)
	if err := s.LoadDir(dir); err != nil {
		return nil, err
	}
	return s, nil
}

// LoadDir adds every NAME.wav of dir to the set.
func (s *PromptSet) LoadDir(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.wav"))
	if err != nil {
		return err
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".wav")
		if err := ValidPromptName(name); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		fh, err := os.Open(f)
		if err != nil {
			return err
		}
		p, err := ReadWAV(fh)
		fh.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		s.Put(name, p)
	}
	return nil
}

// ValidPromptName accepts names of 1–64 characters from [a-z0-9_-], so a
// name is also a safe file name; "none" is reserved. It wraps ErrBadPrompt.
func ValidPromptName(name string) error {
	if name == "" || len(name) > 64 || name == PromptNone {
		return fmt.Errorf("%w: prompt name %q", ErrBadPrompt, name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return fmt.Errorf("%w: prompt name %q", ErrBadPrompt, name)
		}
	}
	return nil
}

// Put adds or replaces a prompt.
func (s *PromptSet) Put(name string, p *Prompt) {
	s.mu.Lock()
	s.m[name] = p
	s.mu.Unlock()
}

// Get returns the prompt of that name, looking in the parent set when this
// one has none. PromptNone and unknown names report false.
func (s *PromptSet) Get(name string) (*Prompt, bool) {
	for set := s; set != nil; set = set.parent {
		set.mu.RLock()
		p, ok := set.m[name]
		set.mu.RUnlock()
		if ok {
			return p, true
		}
	}
	return nil, false
}

// Names lists the prompts of this set and its parents, sorted.
func (s *PromptSet) Names() []string {
	var names []string
	for set := s; set != nil; set = set.parent {
		set.mu.RLock()
		for n := range set.m {
			names = append(names, n)
		}
		set.mu.RUnlock()
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Missing returns the names that Get would not find — for a start-up check
// that the built-in set is complete (routing.BuiltinPrompts).
func (s *PromptSet) Missing(names ...string) []string {
	var out []string
	for _, n := range names {
		if _, ok := s.Get(n); !ok {
			out = append(out, n)
		}
	}
	return out
}
