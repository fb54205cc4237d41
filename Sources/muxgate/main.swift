import MuxgateCLI
import MuxgateChildren
import MuxgateCommands
import MuxgateRemote
import MuxgateRouting
import MuxgateTeam
import MuxgateTelemetry

await MuxgateMain.run()
