package verify

import "context"

func runModel(ctx context.Context, in Input) (Result, error) { return Result{}, ErrUnsupported }
