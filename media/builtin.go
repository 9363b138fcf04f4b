package media

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// builtinFS holds the default prompts of SPEC §4.3, made reproducibly by
// testdata/prompts/generate.sh (espeak-ng + sox) and shipped inside the
// binary, so that a bare `xnum serve` plays them without any file beside
// it. media.prompt_dir may add or replace prompts at start-up.
//
//go:embed prompts/*.wav
var builtinFS embed.FS

// BuiltinPrompts loads the prompts embedded in the binary into a new set.
func BuiltinPrompts() (*PromptSet, error) {
	s := NewPromptSet(nil)
	if err := s.LoadFS(builtinFS, "prompts"); err != nil {
		return nil, err
	}
	return s, nil
}

// LoadFS adds every NAME.wav of dir in fsys to the set. One bad file fails
// the load (see LoadPromptDir).
func (s *PromptSet) LoadFS(fsys fs.FS, dir string) error {
	files, err := fs.Glob(fsys, path.Join(dir, "*.wav"))
	if err != nil {
		return err
	}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".wav")
		if err := ValidPromptName(name); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		raw, err := fs.ReadFile(fsys, f)
		if err != nil {
			return err
		}
		p, err := ParseWAV(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		s.Put(name, p)
	}
	return nil
}
