package cdr

import (
	"crypto/rand"
	"encoding/hex"
)

// NewICID returns a new unique CDR id (SPEC §6.2 icid): 128 random bits as
// 32 hex characters, so ids from any number of xnum processes never collide
// and reveal nothing about the call.
func NewICID() string { return randomHex() }

// NewSessionID returns a new call id shared by a call's events, CDR and
// recording (SPEC §6.1 sessionId), in the same form as NewICID.
func NewSessionID() string { return randomHex() }

func randomHex() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return hex.EncodeToString(b[:])
}
