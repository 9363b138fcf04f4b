package store

import (
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2"
)

// CheckIndexes must notice each kind of disagreement, or the crash and race
// tests that rely on it would prove nothing.
func TestCheckIndexesDetects(t *testing.T) {
	for name, damage := range map[string]func(s *Store, id string) error{
		"party entry lost": func(s *Store, _ string) error {
			return s.db.Delete(partyKey(xnum(1), num(2)), pebble.Sync)
		},
		"party entry points elsewhere": func(s *Store, _ string) error {
			return s.db.Set(partyKey(xnum(1), num(2)), []byte("other"), pebble.Sync)
		},
		"stray party entry": func(s *Store, id string) error {
			return s.db.Set(partyKey(xnum(1), num(9)), []byte(id), pebble.Sync)
		},
		"x index lost": func(s *Store, id string) error {
			return s.db.Delete(bindXKey(xnum(1), id), pebble.Sync)
		},
		"binding lost": func(s *Store, id string) error {
			return s.db.Delete(bindingKey(id), pebble.Sync)
		},
		"count wrong": func(s *Store, _ string) error {
			return s.db.Set(countKey(xnum(1)), encodeCount(7), pebble.Sync)
		},
		"expiry lost": func(s *Store, id string) error {
			b, _, _ := loadBinding(s.db, id)
			return s.db.Delete(expiryKey(b.Expires, id), pebble.Sync)
		},
		"app index lost": func(s *Store, _ string) error {
			return s.db.Delete(appXKey("a", xnum(1)), pebble.Sync)
		},
		"app lost": func(s *Store, _ string) error {
			return s.db.Delete(appKey("a"), pebble.Sync)
		},
		"unknown key": func(s *Store, _ string) error {
			return s.db.Set([]byte("zz"), nil, pebble.Sync)
		},
	} {
		t.Run(name, func(t *testing.T) {
			s, _ := openTest(t, Options{})
			seedApp(t, s, "a", xnum(1))
			b := mustBind(t, s, BindRequest{AppKey: "a", A: num(1), B: num(2), Duration: 60})
			mustCheck(t, s)
			if err := damage(s, b.ID); err != nil {
				t.Fatal(err)
			}
			if err := s.CheckIndexes(); !errors.Is(err, ErrInconsistent) {
				t.Fatalf("CheckIndexes after damage = %v, want ErrInconsistent", err)
			}
		})
	}
}

func TestSafeKeyMasksNumbers(t *testing.T) {
	got := safeKey(partyKey("+8617000000001", "+8613812345678"))
	if got != `"bp"/+86170******01/+86138******78` {
		t.Fatalf("safeKey = %s", got)
	}
}
