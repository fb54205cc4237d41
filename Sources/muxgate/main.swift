import MuxgateCore

await MuxgateCommand.main()
