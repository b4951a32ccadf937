import Foundation
import LoomCLI

exit(LoomMain.run(Array(CommandLine.arguments.dropFirst())))
