let args = CommandLine.arguments
print("hello", args.count)
