import Foundation
import LoomCLI

exit(LoomMain.run(Array(ProcessArguments.all.dropFirst())))
