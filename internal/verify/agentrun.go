package verify

import "context"

func runAgent(ctx context.Context, in Input) (Result, error) { return Result{}, ErrUnsupported }
