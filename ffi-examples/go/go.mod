module sselink

go 1.26
