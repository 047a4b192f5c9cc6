module kdp.local/bench/go

go 1.19
