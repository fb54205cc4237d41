import CMuxgateCommit
import MuxgateCore

await MuxgateMain.run(commit: String(cString: muxgate_build_commit()))
