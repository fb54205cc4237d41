import MuxgateCore

await MuxgateMain.run()
