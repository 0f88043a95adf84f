package token

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"

	"github.com/google/uuid"
)

// A bearer token is "hive_<token id>_<secret>", the secret 32 random bytes
// in unpadded base64url: the id makes lookup one map access, and only the
// SHA-256 of the secret is stored, compared in constant time.
const (
	bearerPrefix = "hive_"
	secretSize   = 32
	// HashSize is the size of a secret's hash.
	HashSize = sha256.Size
)

// Minted is a new token's id, the bearer token to hand to its holder (once:
// it is not stored), and the hash to record.
type Minted struct {
	ID, Bearer string
	Hash       []byte
}

// Mint makes a new token id and secret.
func Mint() (Minted, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return Minted{}, err
	}
	secret := make([]byte, secretSize)
	if _, err := rand.Read(secret); err != nil {
		return Minted{}, err
	}
	sum := sha256.Sum256(secret)
	return Minted{ID: id.String(), Bearer: bearerPrefix + id.String() + "_" + base64.RawURLEncoding.EncodeToString(secret), Hash: sum[:]}, nil
}

// Parse splits a bearer token into its token id and secret, and reports
// whether it has the shape Mint gives.
func Parse(bearer string) (id string, secret []byte, ok bool) {
	rest, ok := strings.CutPrefix(bearer, bearerPrefix)
	if !ok {
		return "", nil, false
	}
	id, enc, ok := strings.Cut(rest, "_")
	if !ok {
		return "", nil, false
	}
	if _, err := uuid.Parse(id); err != nil {
		return "", nil, false
	}
	secret, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(secret) != secretSize {
		return "", nil, false
	}
	return id, secret, true
}

// Verify reports, in time independent of where they differ, whether secret
// hashes to hash.
func Verify(hash, secret []byte) bool {
	sum := sha256.Sum256(secret)
	return subtle.ConstantTimeCompare(sum[:], hash) == 1
}
