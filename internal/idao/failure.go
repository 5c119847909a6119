package idao

import "fmt"

// Code says why an iDAO transaction failed. The state machine's codes are
// below 16 and staking's from 16, so iDAO codes start at 64 and a receipt
// carries any of them in one byte.
type Code uint8

const (
	BadBody           Code = iota + 64 // body does not decode
	BadName                            // not a valid iDAO name
	NameTaken                          // an iDAO with that name exists
	UnknownIDAO                        // no iDAO with that name
	BadPolicy                          // policy fails Validate
	NotValidator                       // a member is not a registered validator
	NotMember                          // sender or validator is not a member
	AlreadyMember                      // add-member of a member
	UnknownProposal                    // no open proposal with that id
	AlreadyVoted                       // member already voted on the proposal
	Dissolved                          // the iDAO was dissolved
	KindRejected                       // the policy does not accept the artifact kind
	BadArtifact                        // metadata out of bounds (size, chunk size, format, text)
	WrongFee                           // fee differs from the policy's
	InsufficientFunds                  // balance below fee
	DuplicateArtifact                  // this iDAO already has this root
	UnknownArtifact                    // no artifact with that id
	AlreadyAttested                    // the artifact already has its certificate
	BadCertificate                     // bitmap, stake or aggregate signature fails
	UnknownRotation                    // no committee recorded for that rotation
	BadBeacon                          // beacon signature or rotation wrong
	DuplicateBeacon                    // validator already contributed to the rotation
	LastMember                         // removing the last member
	NotChallengeable                   // the artifact has no standing certificate (pending or overturned)
	WindowClosed                       // the artifact's challenge window has ended
	WrongBond                          // bond differs from the policy's dispute bond
	BadFraudProof                      // the chunk and path are not part of the artifact
	DuplicateDispute                   // a dispute over the same artifact and claim is open
	DisputeClosed                      // the dispute was ruled on, expired or superseded
	UnknownDispute                     // no dispute with that id
	WrongEpoch                         // the ruling is not signed by the current validator set
	BadRuling                          // the ruling contradicts its claim or the certificate
	TooMany                            // a bound on iDAOs or open proposals is reached
)

var codeNames = map[Code]string{
	BadBody: "bad body", BadName: "bad name", NameTaken: "name taken", UnknownIDAO: "unknown idao",
	BadPolicy: "bad policy", NotValidator: "not a validator", NotMember: "not a member",
	AlreadyMember: "already a member", UnknownProposal: "unknown proposal", AlreadyVoted: "already voted",
	Dissolved: "idao dissolved", KindRejected: "kind not accepted", BadArtifact: "bad artifact",
	WrongFee: "wrong fee", InsufficientFunds: "insufficient funds", DuplicateArtifact: "duplicate artifact",
	UnknownArtifact: "unknown artifact", AlreadyAttested: "already attested", BadCertificate: "bad certificate",
	UnknownRotation: "unknown rotation", BadBeacon: "bad beacon", DuplicateBeacon: "duplicate beacon",
	LastMember: "last member", NotChallengeable: "not challengeable", WindowClosed: "challenge window closed",
	WrongBond: "wrong bond", BadFraudProof: "bad fraud proof", DuplicateDispute: "duplicate dispute",
	DisputeClosed: "dispute closed", UnknownDispute: "unknown dispute", WrongEpoch: "wrong epoch",
	BadRuling: "bad ruling", TooMany: "too many",
}

func (c Code) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return fmt.Sprintf("idao code %d", uint8(c))
}

// Failure is a transaction that was refused; it changed nothing.
type Failure struct {
	Code   Code
	Reason string
}

func (f *Failure) Error() string { return "idao: " + f.Code.String() + ": " + f.Reason }

func fail(c Code, format string, args ...any) *Failure {
	return &Failure{Code: c, Reason: fmt.Sprintf(format, args...)}
}
