package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/xnum/xnum/cdr"
)

// Answered calls (SPEC §6.2: "a call that was up when xnum died gets its CDR
// after restart (call state is persisted at answer)"; §7). Two key families,
// added to the layout of keys.go by the event issue:
//
//	call\x00{sessionId}  → cdr.Record   the CDR so far of an answered call
//	callalive\x00        → int64 BE ns  when the process was last known alive
//
// The sip layer writes a call's record, synced, before A gets its 200: when
// B answers, or when xnum answers A itself (AXE answerBeforeCollect: the
// extension is collected on an answered call, and B's answer overwrites the
// record later). The record goes away in the very batch that stores the call's
// CDR (Outbox.EnqueueWithCDR calls forgetCall): after a kill -9 the store
// holds either the record (the call was up: it is reported at the next
// start) or the CDR, never both and never neither. docs/EVENTS.md, "Calls up
// at a crash", has the whole story.
var (
	pfxCall  = []byte("call\x00")
	keyAlive = []byte("callalive\x00")
)

func callKey(sessionID string) []byte { return join(pfxCall, sessionID) }

// isCallKey reports whether k belongs to the call-state families (for
// CheckIndexes). "callalive\x00" does not start with "call\x00".
func isCallKey(k []byte) bool {
	return bytes.HasPrefix(k, pfxCall) || bytes.Equal(k, keyAlive)
}

// PutCall stores the partial CDR of a call whose A has just been answered,
// synced before it returns. rec needs its SessionID and the ICID its final
// CDR will carry, so that a record reported twice (crash between a CDR and
// the delete of its call, which one batch rules out, or a CDR that the
// receiver acknowledged but xnum did not note) is one icid to the receiver.
func (s *Store) PutCall(rec cdr.Record) error {
	if rec.SessionID == "" || rec.ICID == "" {
		return fmt.Errorf("%w: call needs sessionId and icid", ErrInvalidArgument)
	}
	if !answeredA(&rec) {
		// forgetCall keys on it: a record without it would never be deleted.
		return fmt.Errorf("%w: call not answered (sipStatusCode %d)", ErrInvalidArgument, rec.SIPStatusCode)
	}
	data := rec.AppendJSON(nil) // json.Marshal's bytes, without its reflection (cdr/json.go)
	return s.read(func() error {
		if err := s.db.Set(callKey(rec.SessionID), data, pebble.Sync); err != nil {
			return fmt.Errorf("put call: %w", err)
		}
		return nil
	})
}

// answeredA: A got a 200 — from B, or from xnum itself (AXE) — which SPEC
// §6.2 writes as sipStatusCode 0; every call A did not get answered has the
// final status A got (≥ 300) in its CDR.
func answeredA(rec *cdr.Record) bool {
	return rec.FwdAnswerTime != "" || rec.SIPStatusCode == 0
}

// forgetCall adds to b the delete of rec's call record when rec is the CDR
// of a call whose A was answered (only those have one: PutCall requires
// it), so that every refused call's CDR costs no tombstone.
func forgetCall(b *pebble.Batch, rec *cdr.Record) error {
	if !answeredA(rec) || rec.SessionID == "" {
		return nil
	}
	if err := b.Delete(callKey(rec.SessionID), nil); err != nil {
		return fmt.Errorf("batch delete: %w", err)
	}
	return nil
}

// Calls returns every call record still stored, in sessionId order. Read at
// start, before SIP listens, these are the calls that were up when the
// previous process died.
func (s *Store) Calls() ([]cdr.Record, error) {
	var out []cdr.Record
	err := s.read(func() error {
		return scan(s.db, pfxCall, func(k, v []byte) error {
			var rec cdr.Record
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode %s: %w", safeKey(k), err)
			}
			out = append(out, rec)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ForgetCall deletes the record of sessionID, synced. Recovery uses it only
// for a record that cannot be reported at all; a reported call's record
// goes with its CDR.
func (s *Store) ForgetCall(sessionID string) error {
	return s.read(func() error {
		if err := s.db.Delete(callKey(sessionID), pebble.Sync); err != nil {
			return fmt.Errorf("forget call: %w", err)
		}
		return nil
	})
}

// MarkAlive notes that the process is alive at t (the daemon's heartbeat).
// It is not synced: a kill -9 keeps what was written (the WAL is in the
// OS's hands), and a lost write only makes the last known time earlier.
func (s *Store) MarkAlive(t time.Time) error {
	return s.read(func() error {
		if err := s.db.Set(keyAlive, timeBytes(t), pebble.NoSync); err != nil {
			return fmt.Errorf("mark alive: %w", err)
		}
		return nil
	})
}

// LastAlive is the time of the last MarkAlive; ok=false when there was none.
func (s *Store) LastAlive() (t time.Time, ok bool, err error) {
	err = s.read(func() error {
		v, found, err := get(s.db, keyAlive)
		if err != nil || !found || len(v) != 8 {
			return err
		}
		t, ok = time.Unix(0, int64(decodeCount(v))).UTC(), true
		return nil
	})
	return t, ok, err
}
