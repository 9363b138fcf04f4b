package media

import (
	"fmt"
	"os"
	"slices"
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

// PromptSet is a set of named prompts: the built-in set (embedded in the
// binary, BuiltinPrompts, plus media.prompt_dir), and one set per app
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
	return s.LoadFS(os.DirFS(dir), ".")
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

// Silence makes name play nothing in this set, shadowing the parent's
// prompt of that name: an app that wants no announcement where the
// built-in set has one (SPEC §4.3 "none").
func (s *PromptSet) Silence(name string) {
	s.Put(name, nil)
}

// Get returns the prompt of that name, looking in the parent set when this
// one has none. PromptNone, silenced and unknown names report false.
func (s *PromptSet) Get(name string) (*Prompt, bool) {
	if name == PromptNone {
		return nil, false
	}
	for set := s; set != nil; set = set.parent {
		set.mu.RLock()
		p, ok := set.m[name]
		set.mu.RUnlock()
		if ok {
			return p, p != nil
		}
	}
	return nil, false
}

// Names lists the prompts Get finds in this set and its parents, sorted.
func (s *PromptSet) Names() []string {
	seen := map[string]bool{}
	var names []string
	for set := s; set != nil; set = set.parent {
		set.mu.RLock()
		for n, p := range set.m {
			if !seen[n] {
				seen[n] = true
				if p != nil {
					names = append(names, n)
				}
			}
		}
		set.mu.RUnlock()
	}
	slices.Sort(names)
	return names
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

// PromptLibrary is every prompt a process plays: the built-in set and one
// set per app whose lookups fall back to it, so an app's upload shadows the
// default of the same name (SPEC §4.3: the built-in prompt applies unless
// the app sets its own or none). Safe for concurrent use.
type PromptLibrary struct {
	builtin *PromptSet
	mu      sync.RWMutex
	apps    map[string]*PromptSet
}

// NewPromptLibrary returns a library over the built-in set.
func NewPromptLibrary(builtin *PromptSet) *PromptLibrary {
	return &PromptLibrary{builtin: builtin, apps: make(map[string]*PromptSet)}
}

// Builtin is the built-in set.
func (l *PromptLibrary) Builtin() *PromptSet { return l.builtin }

// App returns the app's own set, made on first use.
func (l *PromptLibrary) App(appKey string) *PromptSet {
	l.mu.RLock()
	s, ok := l.apps[appKey]
	l.mu.RUnlock()
	if ok {
		return s
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if s, ok = l.apps[appKey]; !ok {
		s = NewPromptSet(l.builtin)
		l.apps[appKey] = s
	}
	return s
}

// Prompt is the prompt name plays for the app: the app's own, else the
// built-in one; false for "", none, a silenced or an unknown name.
func (l *PromptLibrary) Prompt(appKey, name string) (*Prompt, bool) {
	if name == "" || name == PromptNone {
		return nil, false
	}
	l.mu.RLock()
	s, ok := l.apps[appKey]
	l.mu.RUnlock()
	if !ok {
		s = l.builtin
	}
	return s.Get(name)
}
