"""Word lists for the synthetic story generator (`data_prep.synthetic`).

Plain data only: English and Chinese vocabularies. Lists are written by hand for this project.
Names that collide with any other vocabulary word (a colour, an object, a feeling...) are removed
at the bottom of the English part, so that a fact word never doubles as a character's name.
"""

# ---------------------------------------------------------------------------------------------
# English
# ---------------------------------------------------------------------------------------------

GIRL_NAMES = """
Mia Lily Emma Ava Zoe Lucy Ella Grace Chloe Sophie Anna Rosie Daisy Molly Hannah Sara Nora Lila
Maya Amy Jade Kate Leah Luna Nina Olivia Poppy Stella Tess Willow Iris Clara Alice Bella Cora Eva
Fiona Gemma Holly Isla Jenny Kira Laura Mila Nell Amelia Aria Aurora Bea Beth Bonnie Callie Cleo
Dora Edith Elsa Emily Esme Freya Gigi Greta Ida Imogen Jasmine Kayla Lena Lottie Lucia Mabel
Maisie Martha Matilda Megan Millie Nadia Naomi Paige Penny Phoebe Piper Priya Rachel Rita Sadie
Sally Sienna Tara Tilly Una Vera Wendy Yara Zara Abby Ada Aisha Alma Amara Anya Ayla Becky Carmen
Celia Daphne Delia Ellie Elena Erin Evie Flora Gwen Harriet Heidi Helen Ines Jana Josie Julia Kiki
Lara Layla Lola Lorna Mara Maria Marina Mei Mina Miriam Nala Nia Orla Polly Rhea Rina Rosa Selma
Sofia Suki Talia Thea Tina Trudy Valerie Wren Yuki Zelda Zina Hana Leila Esther Mira Lydia Agnes
Beatrice Bridget Camila Dana Dina Eliza Fatima Frida Gabriela Gloria Hattie Ingrid Irene Isabel
Janet Joanna Karen Keiko Lena Lisa Louise Madeline Margot Marta Maxine Nancy Nell Odette Opal
Petra Rebecca Renata Rosalie Ruth Sabrina Simone Sylvie Tamara Tanya Teresa Ursula Vivian Winnie
Xena Yasmin Zoya Adele Anika Bianca Cecily Dottie Elodie Fern Georgia Hilda Inga Jill Kamala
Leona Lulu Magda Minnie Noor Odile Pia Raina Sana Tova Uma Vida Wanda Yvette Zuri
Abigail Adriana Aiko Alba Alessia Alina Alisha Aliya Amaya Amina Amira Anais Andrea Angela Annie Antonia
Ariana Astrid Aubrey Audrey Beatrix Belen Bethany Blanca Brenda Brooke Caitlin Camille Candice Cara Carla
Caroline Cassie Catalina Cecilia Celeste Charlotte Chiara Christina Cindy Clarissa Colette Constance Corinne
Dahlia Daniela Danielle Darla Deborah Diana Dolly Donna Dorothy Edna Eileen Elaine Eleanor Eloise Elsie
Emilia Enid Estelle Eunice Evelyn Faye Felicity Florence Frances Gabby Genevieve Gianna Gina Giselle Gracie
Gwendolyn Hailey Hedy Heather Henrietta Hilary Ila Ilona Isadora Isabella Ivana Jacinta Jane Janice Jemima
Jessica Jocelyn Judith Julie Juliet Justine Kaia Karina Katie Keira Kelly Kimi Kirsten Lana Laila Lea
Leilani Leticia Lilian Linnea Livia Lorelei Louisa Lucinda Luisa Lupita Mae Maggie Malia Mallory Manon
Marguerite Mariam Marisol Marnie Maude Maureen Meera Mercedes Michelle Mimi Minerva Miranda Moira Monica
Nadine Natalie Nayeli Nerys Nicola Noelle Norah Octavia Olga Ottilie Pamela Paloma Paula Pauline Penelope
Perla Philippa Pippa Queenie Ramona Regina Rhoda Rowena Roxanne Sabine Sadia Salma Samira Sandra Serena
Shanti Sheila Shirley Sigrid Sophia Susie Tabitha Tatiana Tessa Theresa Tia Valentina Vanessa Veronica
Victoria Viola Wilhelmina Wilma Xiomara Yasmine Yolanda Yuna Zaria Zoey Zora
"""

BOY_NAMES = """
Tom Ben Leo Jack Finn Noah Liam Oscar Theo Owen Jake Luke Adam Eli Hugo Ivan Jonah Levi Milo Nate
Omar Paul Rafi Ravi Ryan Seth Toby Tim Victor Wade Zack Arlo Bobby Caleb Carlos Cody Dan Dev Dylan
Eddie Ethan Felix Frank George Gus Harry Henry Isaac Jasper Joel Jude Kevin Lars Lenny Louis Marco
Mark Matt Miles Ned Nico Ollie Otto Pablo Pete Reggie Rex Rudy Rufus Ted Teddy Tony Ty Vince Walt
Will Yusuf Zane Aaron Abe Ahmed Albert Alfie Amir Andy Archie Arthur Axel Barney Billy Brian Bruno
Carl Chris Colin Danny David Dennis Diego Dominic Duncan Elliot Emil Enzo Eric Ezra Fred Gabe Gavin
Gideon Hank Harvey Ian Jamal James Jay Jim Joe Jorge Josh Juan Kenji Lewis Lucas Malik Marcus
Mason Moses Neil Nick Olaf Oliver Patrick Percy Peter Ralph Ricky Rob Roman Ross Rory Samir Scott
Simon Stan Sven Teo Thomas Timmy Tobias Tristan Umar Vlad Wally Wes Xavier Yosef Zeke Anton Benny
Boris Cyrus Dario Edgar Elijah Emmett Ernie Fabian Franco Gino Hamza Hector Idris Ibrahim Jonas
Kofi Leon Lionel Luca Manny Mateo Max Morris Nolan Omari Orson Otis Pedro Quentin Rami Raul Reuben
Ricardo Rohan Santiago Sergio Silas Stefan Theodore Tomas Ulysses Vito Warren Yuri Zion Amos
Bertie Cedric Declan Emeka Flynn Gordon Hiro Ilan Jabari Kazuo Lorenzo Mikey Nils Osman Quincy
Abdul Adrian Ahmad Aiden Alan Alberto Alejandro Alexei Alonzo Alvin Ambrose Andre Angus Ansel Antonio
Arjun Armando Arnold Asher Austin Barnaby Bart Baxter Beau Benedict Benjamin Bernard Bjorn Blaine Brady
Brendan Bryce Byron Callum Calvin Carter Casimir Charles Chester Clarence Clark Clement Clifford Clyde
Conrad Cormac Cornelius Craig Curtis Dante Darius Dean Derek Desmond Dexter Dmitri Donovan Douglas Drake
Dwight Eamon Edmund Edward Edwin Efrain Elias Elmer Emanuel Ernest Esteban Eugene Evan Everett Ezekiel
Farid Felipe Fergus Fernando Finnegan Fletcher Floyd Francis Frederick Gareth Gaspard Gerald Gilbert
Giovanni Glen Graham Gregory Gunnar Gustavo Hamish Hans Harold Heath Herbert Horace Howard Hudson
Humphrey Ignacio Ira Isaiah Ismael Jace Jacob Jaime Jarvis Javier Jeremy Jerome Jethro Jonathan Joseph
Julian Julius Kareem Karl Keith Kendrick Kieran Kurt Lance Laurence Lawrence Leland Leonard Leroy Lester
Lincoln Linus Lloyd Lowell Luis Magnus Malcolm Manuel Marcel Mario Marvin Maurice Maxwell Melvin Miguel
Milton Mohammed Monty Murray Nathan Nathaniel Nestor Newton Norman Olin Orlando Oswald Pascal Phineas
Pierce Raphael Raymond Rhys Richard Roberto Rocco Rodrigo Roger Roland Ronan Roscoe Rupert Russell
Salvador Samson Sebastian Seamus Shane Sidney Solomon Spencer Stanley Stuart Sullivan Terence Thaddeus
Tiago Timothy Travis Trevor Tyrone Valentin Vaughn Vernon Wallace Walter Wendell Wilbur Wilfred Winston
Wyatt Yann Yohan Zachary Zeno
"""

NEUTRAL_NAMES = """
Alex Sam Robin Jordan Charlie Riley Taylor Casey Jamie Morgan Avery Quinn Rowan Drew Jesse Kit
Remy Sage Eden Blake Frankie Jules Lee Parker Reese Sasha Toni Bailey Dakota Emery Finley Harper
Hayden Kendall Lane Marley Oakley Peyton Reagan Shay Tatum Devon Ari Noel Ellis Kai Nico Billie
Cameron Dale Elliott Jody Kerry Logan Micah Perry Robbie Rene Skyler Tanner Teagan Val
"""

# names for animal characters and for toys that get a name
PET_NAMES = """
Pip Coco Bubbles Pippin Nutmeg Whiskers Fluffy Patch Bramble Tufty Bouncer Dotty Fizz Flick Goldie
Hopper Jinx Kiwi Lulu Marmalade Momo Nibbles Noodle Pebble Pickle Piper Puff Rascal Rolo Scamp
Scout Snowball Sparky Speckle Squeak Sprout Tinker Toffee Twiggy Waffles Wiggles Ziggy Buttons
Buddy Bingo Fuzzy Mittens Muffin Nugget Oreo Paws Pogo Poppet Rusty Shadow Skipper Smudge Sox
Tango Thistle Tumble Twinkle Widget Biscuit Clover Dusty Echo Fern Gizmo Honey Juniper Maple
Mochi Nimbus Olly Pumpkin Quill Ripple Rocket Sunny Tater Trixie Velvet Wisp Yoyo Zippy Acorn
Bamboo Beanie Blossom Bonbon Bumble Cinnamon Cricket Crumpet Daffodil Dumpling Fidget Flapjack Freckles
Gumdrop Hazelnut Jellybean Jiggles Kipper Lolly Marshmallow Meadow Minty Mopsy Nibs Noodle Nutkin Pancake
Peaches Pebbles Periwinkle Petal Pipsqueak Pompom Popcorn Puddles Quackers Razzle Rumble Saffron Scooter
Snickers Snuggles Sparrow Splash Sprinkles Squiggle Sugarplum Thimble Tootsie Truffle Tulip Twix Wiggly
Wobble Wrinkles Yodel Zigzag Bluebell Cosmo Dizzy Flurry Ginger Gusto Hiccup Huckleberry Inky Jasper
"""


def _split(s):
    out, seen = [], set()
    for w in s.split():
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


GIRL_NAMES = _split(GIRL_NAMES)
BOY_NAMES = _split(BOY_NAMES)
NEUTRAL_NAMES = _split(NEUTRAL_NAMES)
PET_NAMES = _split(PET_NAMES)

# grown-ups who give things and help: (name, pronoun)
HELPERS = [
    ("Mom", "she"), ("Dad", "he"), ("Mama", "she"), ("Papa", "he"), ("Grandma", "she"),
    ("Grandpa", "he"), ("Granny", "she"), ("Nana", "she"), ("Grandpa Joe", "he"), ("Grandma Rose", "she"),
    ("Aunt Rosa", "she"), ("Aunt Jo", "she"), ("Aunt Meg", "she"), ("Aunt Priya", "she"),
    ("Uncle Ben", "he"), ("Uncle Raj", "he"), ("Uncle Leo", "he"), ("Uncle Sol", "he"),
    ("Miss Lane", "she"), ("Miss Kim", "she"), ("Mrs. Lee", "she"), ("Mrs. Garcia", "she"),
    ("Mr. Hill", "he"), ("Mr. Patel", "he"), ("Mr. Novak", "he"), ("Mrs. Okafor", "she"),
    ("Old Mr. Jones", "he"), ("Auntie Ama", "she"), ("Grandpa Hiro", "he"), ("Nana Bea", "she"),
]

COLOURS = """
red blue green yellow orange purple pink brown black white gray golden silver teal violet crimson
scarlet turquoise lavender navy beige maroon indigo lime
""".split()

# object categories: verb phrases for using the thing, what happens when it breaks, how it is fixed,
# and whether the wind can carry it into a tree
OBJECT_KINDS = {
    "toy": dict(
        use=["play with it", "try it", "hold it"],
        used=["played with it", "showed it to everyone", "took it everywhere"],
        using=["playing with it", "showing it to everyone"],
        broke=["broke", "cracked", "lost a piece"],
        fix=["some glue", "a bit of tape", "a tiny screw"],
        light=True,
    ),
    "wear": dict(
        use=["wear it", "put it on", "try it on"],
        used=["wore it", "put it on", "tried it on"],
        using=["wearing it", "trying it on"],
        broke=["tore", "got a hole in it", "ripped at the side"],
        fix=["a needle and thread", "a neat little patch", "some careful stitches"],
        light=True,
    ),
    "ride": dict(
        use=["ride it", "take it for a ride"],
        used=["rode it", "took it for a ride"],
        using=["riding it", "riding it around"],
        broke=["lost a wheel", "got a flat tire", "broke"],
        fix=["a wrench", "a new bolt", "a little pump"],
        light=False,
    ),
    "music": dict(
        use=["play it", "make music with it", "play a song on it"],
        used=["played it", "made music with it", "played a song on it"],
        using=["playing it", "making music with it"],
        broke=["cracked", "broke", "stopped making sounds"],
        fix=["some glue", "a new string", "a bit of tape"],
        light=True,
    ),
    "carry": dict(
        use=["carry it", "fill it with treasures", "put things in it"],
        used=["carried it", "filled it with treasures", "put little things in it"],
        using=["carrying it", "filling it with treasures"],
        broke=["cracked", "broke", "got a hole in it"],
        fix=["some glue", "a bit of tape", "a neat little patch"],
        light=True,
    ),
    "paper": dict(
        use=["look at it", "read it", "write in it"],
        used=["looked at it", "read it", "wrote in it"],
        using=["reading it", "looking at it"],
        broke=["tore", "ripped", "lost a page"],
        fix=["some tape", "a bit of glue", "a paper clip"],
        light=True,
    ),
    "art": dict(
        use=["draw with it", "make pictures with it", "draw a picture with it"],
        used=["drew with it", "made pictures with it", "drew a picture with it"],
        using=["drawing with it", "making pictures with it"],
        broke=["snapped in two", "broke", "cracked"],
        fix=["some tape", "a bit of glue", "a rubber band"],
        light=True,
    ),
    "thing": dict(
        use=["hold it", "look at it", "try it"],
        used=["held it", "looked at it", "kept it close"],
        using=["holding it", "looking at it"],
        broke=["cracked", "broke", "lost a piece"],
        fix=["some glue", "a bit of tape", "a tiny screw"],
        light=True,
    ),
}

OBJECTS = {
    "toy": """kite|ball|teddy bear|doll|toy car|toy truck|toy train|toy boat|spinning top|yo-yo|
        rubber duck|jump rope|robot|toy plane|race car|puppet|toy dinosaur|toy rocket|jigsaw puzzle|
        beach ball|balloon|pinwheel|frisbee|hula hoop|bubble wand|rag doll|toy horse|stuffed bunny|
        toy bus|toy fire truck|kaleidoscope|slinky|toy castle|wind-up mouse|toy sailboat|paper plane|
        bouncy ball|toy tractor|toy submarine|toy helicopter|stuffed elephant|marionette|
        toy drum set|toy robot dog|water gun|toy parrot|toy penguin|snow globe""",
    "wear": """hat|scarf|cap|coat|jacket|sweater|dress|skirt|shirt|raincoat|bow tie|headband|
        hair clip|belt|cape|vest|apron|bonnet|beanie|cloak|ribbon|necklace|bracelet|
        crown|bandana|sun hat|party hat|tutu|cardigan|hoodie|poncho|pair of boots|pair of mittens|
        pair of socks|pair of glasses|wristband|sash|beret|tie|nightcap""",
    "ride": """bike|scooter|skateboard|wagon|sled|tricycle|go-kart|kick scooter""",
    "music": """drum|whistle|flute|bell|guitar|ukulele|trumpet|harmonica|tambourine|xylophone|
        music box|recorder|violin|kazoo|maraca|triangle|banjo|horn""",
    "carry": """box|basket|bucket|bag|backpack|lunch box|jar|bottle|cup|mug|bowl|teapot|
        watering can|pail|purse|suitcase|treasure chest|pencil case|tin|wallet|lantern|
        flower pot|umbrella|tray|pouch|tote bag|gift box|piggy bank""",
    "paper": """book|notebook|diary|sketchbook|map|letter|card|envelope|sticker book|comic book|
        picture book|storybook|postcard|calendar|poster|scrapbook|photo album|recipe book""",
    "art": """crayon|pencil|paintbrush|marker|piece of chalk|paint set|pen|feather pen|
        stamp|glue stick|eraser|ruler""",
    "thing": """blanket|pillow|lamp|clock|candle|vase|rug|flag|button|key|ring|locket|mirror|
        comb|brush|towel|quilt|shell|stone|pebble|feather|leaf|flower|crystal|gem|marble|
        magnifying glass|compass|flashlight|telescope|seashell|pinecone|bird feeder|wind chime|
        alarm clock|pocket watch|medal|trophy|badge|magnet|kite string|coin|star sticker""",
}

# things that are counted in sums: (singular, plural, group)
COUNT_ITEMS = [
    ("shell", "shells", "nature"), ("stone", "stones", "nature"), ("pebble", "pebbles", "nature"),
    ("acorn", "acorns", "nature"), ("leaf", "leaves", "nature"), ("feather", "feathers", "nature"),
    ("pinecone", "pinecones", "nature"), ("twig", "twigs", "nature"), ("seed", "seeds", "nature"),
    ("conker", "conkers", "nature"), ("snail shell", "snail shells", "nature"),
    ("apple", "apples", "fruit"), ("berry", "berries", "fruit"), ("cherry", "cherries", "fruit"),
    ("strawberry", "strawberries", "fruit"), ("plum", "plums", "fruit"), ("pear", "pears", "fruit"),
    ("peach", "peaches", "fruit"), ("lemon", "lemons", "fruit"), ("tomato", "tomatoes", "fruit"),
    ("carrot", "carrots", "fruit"), ("potato", "potatoes", "fruit"), ("pumpkin", "pumpkins", "fruit"),
    ("daisy", "daisies", "flower"), ("tulip", "tulips", "flower"), ("rose", "roses", "flower"),
    ("sunflower", "sunflowers", "flower"), ("mushroom", "mushrooms", "flower"), ("bean", "beans", "fruit"),
    ("cookie", "cookies", "baked"), ("cupcake", "cupcakes", "baked"), ("muffin", "muffins", "baked"),
    ("pancake", "pancakes", "baked"), ("cracker", "crackers", "baked"), ("bun", "buns", "baked"),
    ("pie", "pies", "baked"), ("tart", "tarts", "baked"), ("waffle", "waffles", "baked"),
    ("pretzel", "pretzels", "baked"), ("sandwich", "sandwiches", "baked"),
    ("bead", "beads", "thing"), ("sticker", "stickers", "thing"), ("block", "blocks", "thing"),
    ("card", "cards", "thing"), ("bottle cap", "bottle caps", "thing"), ("paper star", "paper stars", "thing"),
    ("toy soldier", "toy soldiers", "thing"), ("crayon", "crayons", "thing"), ("penny", "pennies", "thing"),
    ("book", "books", "thing"), ("ribbon", "ribbons", "thing"), ("bow", "bows", "thing"),
    ("spoon", "spoons", "thing"), ("sock", "socks", "thing"), ("toy car", "toy cars", "thing"),
    ("paper boat", "paper boats", "thing"), ("clothespin", "clothespins", "thing"), ("stamp", "stamps", "thing"),
    ("jelly bean", "jelly beans", "thing"), ("balloon", "balloons", "thing"), ("candle", "candles", "thing"),
    ("egg", "eggs", "nature"), ("snowball", "snowballs", "nature"), ("flower", "flowers", "flower"),
]

# verbs used with each group of counted things (past tense)
GATHER = {
    "nature": ["found", "collected", "picked up", "gathered"],
    "fruit": ["picked", "collected", "gathered", "found"],
    "flower": ["picked", "gathered", "found"],
    "baked": ["baked", "made"],
    "thing": ["found", "got", "collected"],
}

CONTAINERS = ["bag", "basket", "bucket", "pocket", "box", "backpack", "jar", "little sack", "tin", "pail"]

# (name, indoor, sights)
PLACES = [
    ("the park", False, "swings|slides|ducks|tall trees|flower beds|kids on bikes|old benches"),
    ("the beach", False, "waves|seagulls|sand castles|little crabs|boats|big umbrellas"),
    ("the forest", False, "tall trees|mossy logs|mushrooms|squirrels|ferns|little paths"),
    ("the garden", False, "flowers|bees|butterflies|rows of carrots|a little fountain|stepping stones"),
    ("the farm", False, "cows|pigs|hens|a big barn|haystacks|baby lambs"),
    ("the lake", False, "ducks|little boats|frogs|reeds|fish jumping|a wooden dock"),
    ("the river", False, "smooth rocks|fish|a little bridge|reeds|ducks|dragonflies"),
    ("the pond", False, "lily pads|frogs|ducks|tadpoles|dragonflies|tall reeds"),
    ("the zoo", False, "lions|elephants|giraffes|monkeys|penguins|zebras"),
    ("the library", True, "shelves of books|soft chairs|picture books|quiet readers|a big globe"),
    ("the market", False, "fruit stands|flower stalls|busy people|baskets of bread|bright signs"),
    ("the bakery", True, "fresh bread|cakes|warm rolls|cookies in jars|a big oven"),
    ("the hill", False, "wildflowers|sheep|kites in the sky|a lone tree|soft grass"),
    ("the meadow", False, "wildflowers|butterflies|tall grass|rabbits|bees"),
    ("the playground", False, "swings|a slide|a sandbox|monkey bars|a seesaw|a merry-go-round"),
    ("the school", True, "desks|a chalkboard|bright posters|cubbies|a reading corner"),
    ("the museum", True, "old bones|paintings|statues|glass cases|a giant whale model"),
    ("the harbor", False, "boats|fishing nets|seagulls|ropes|a lighthouse"),
    ("the orchard", False, "apple trees|pear trees|ladders|baskets|buzzing bees"),
    ("the campsite", False, "tents|a campfire ring|tall pines|logs to sit on|a trail"),
    ("the aquarium", True, "fish tanks|sea turtles|jellyfish|a big shark|starfish"),
    ("the toy shop", True, "shelves of toys|puzzles|dolls|toy trains|stuffed animals"),
    ("the square", False, "a fountain|pigeons|benches|a clock tower|street musicians"),
    ("the woods", False, "tall trees|ferns|a babbling brook|mossy rocks|birds"),
    ("the valley", False, "a river|wide fields|cows|a little village|wildflowers"),
    ("the seaside", False, "waves|seagulls|rock pools|a pier|sailboats"),
    ("the bookshop", True, "stacks of books|a cozy chair|picture books|a sleepy cat"),
    ("the pet shop", True, "puppies|kittens|fish tanks|rabbits|parrots"),
    ("the station", True, "trains|a big clock|busy people|benches|a ticket window"),
    ("the fair", False, "a big wheel|games|balloons|cotton candy stands|a carousel"),
    ("the circus", True, "clowns|jugglers|acrobats|a big tent|tumbling dogs"),
    ("the barn", True, "hay bales|horses|an old tractor|chickens|a rope swing"),
    ("the greenhouse", True, "tomato plants|flowers in pots|ferns|watering cans|little seedlings"),
    ("the island", False, "palm trees|sandy shores|crabs|seashells|waves"),
    ("the mountain", False, "rocky paths|goats|pine trees|snowy peaks|eagles"),
    ("the cave", True, "dripping rocks|shiny stones|echoes|bats|little pools"),
    ("the bridge", False, "boats below|the river|people walking|fishing lines|birds"),
    ("the castle", True, "high towers|long halls|old flags|suits of armor|a moat"),
    ("the village", False, "little houses|a well|chickens|a bakery|gardens"),
    ("the swimming pool", False, "a diving board|floats|splashing kids|a lifeguard chair"),
    ("the ice rink", True, "skaters|shiny ice|a warm snack bar|twirling kids"),
    ("the garden center", True, "plants|seed packets|flower pots|watering cans|little trees"),
    ("the treehouse", True, "a rope ladder|a tiny window|comic books|pillows|a map of the yard"),
    ("the duck pond", False, "ducks|ducklings|reeds|a wooden bench|lily pads"),
    ("the sand dunes", False, "tall grass|soft sand|little birds|the sea in the distance"),
    ("the picnic spot", False, "blankets|baskets|a big oak tree|ants|butterflies"),
    ("the old mill", True, "a big wheel|sacks of flour|cobwebs|a wooden stair|mice"),
    ("the lighthouse", True, "a winding stair|a big lamp|seagulls|waves far below"),
    ("the flower field", False, "tulips|poppies|bees|butterflies|a narrow path"),
    ("the community garden", False, "raised beds|pumpkins|bean poles|a scarecrow|bees"),
    ("the skate park", False, "ramps|skaters|rails|painted walls"),
    ("the stream", False, "stepping stones|little fish|smooth pebbles|frogs|ferns"),
    ("the waterfall", False, "rushing water|rainbows in the mist|wet rocks|ferns"),
    ("the airport", True, "big planes|suitcases|a moving walkway|big windows"),
    ("the post office", True, "letters|parcels|stamps|a long counter"),
    ("the pumpkin patch", False, "pumpkins|a hay ride|scarecrows|corn stalks"),
    ("the train yard", False, "old trains|tracks|a water tower|signal lights"),
    ("the backyard", False, "a swing|a sandbox|a vegetable patch|a bird bath|a tall fence"),
    ("the attic", True, "old trunks|dusty boxes|a rocking chair|old photos"),
    ("the kitchen", True, "pots and pans|a warm oven|a bowl of fruit|jars of jam"),
    ("the cabin", True, "a fireplace|bunk beds|a woodpile|snowshoes"),
    ("the rock pools", False, "crabs|starfish|sea snails|seaweed|tiny fish"),
    ("the bird sanctuary", False, "herons|ducks|geese|nests|a viewing hut"),
    ("the hot air balloon field", False, "balloons|baskets|ropes|people waving"),
    ("the science fair", True, "volcano models|robots|posters|rockets"),
    ("the school garden", False, "sunflowers|bean poles|a worm bin|herbs"),
]

INDOOR_SPOTS = """on a table|under a chair|by the door|on a low shelf|in a corner|behind a big plant|
    next to the window|under a bench|on a windowsill|in a basket by the wall|behind a curtain|
    under a pile of papers|near the stairs|on a cushion""".replace("\n", "").split("|")
OUTDOOR_SPOTS = """under a bush|near a big rock|behind a tree|in the tall grass|next to a bench|
    under a pile of leaves|by the path|near the fence|beside a little stream|under a log|
    in a patch of clover|near the gate|at the bottom of a hill|under a wooden bench|
    between two roots|in a clump of daisies|by an old stump|next to a puddle|near a flower bed|
    behind a bush""".replace("\n", "").split("|")
HOME_SPOTS = """under the bed|behind the couch|in the toy box|under the stairs|in the attic|
    at the back of the closet|in a drawer|on a high shelf|under a pillow|behind the door|
    in the garden shed|in the laundry basket|under the kitchen table|on the porch|
    in the garage|in an old trunk|by the back door|under the sofa cushions|in the basement|
    next to the mailbox""".replace("\n", "").split("|")

# (singular, category)
ANIMALS = [
    ("robin", "bird"), ("sparrow", "bird"), ("owl", "bird"), ("duck", "water"), ("goose", "water"),
    ("swan", "water"), ("pigeon", "bird"), ("crow", "bird"), ("woodpecker", "bird"), ("parrot", "bird"),
    ("eagle", "bird"), ("hen", "farm"), ("rooster", "farm"), ("peacock", "farm"), ("penguin", "water"),
    ("seagull", "bird"), ("hummingbird", "bird"), ("jay", "bird"), ("magpie", "bird"), ("heron", "water"),
    ("frog", "water"), ("toad", "small"), ("turtle", "water"), ("fish", "water"), ("crab", "water"),
    ("otter", "water"), ("beaver", "water"), ("seal", "water"), ("dolphin", "water"), ("tadpole", "water"),
    ("rabbit", "small"), ("bunny", "small"), ("squirrel", "small"), ("mouse", "small"), ("hedgehog", "small"),
    ("chipmunk", "small"), ("hamster", "small"), ("mole", "small"), ("raccoon", "small"), ("skunk", "small"),
    ("fox", "wild"), ("deer", "wild"), ("bear", "wild"), ("wolf", "wild"), ("moose", "wild"),
    ("badger", "wild"), ("lion", "wild"), ("tiger", "wild"), ("elephant", "wild"), ("giraffe", "wild"),
    ("zebra", "wild"), ("monkey", "wild"), ("kangaroo", "wild"), ("koala", "wild"), ("panda", "wild"),
    ("hippo", "wild"), ("rhino", "wild"), ("camel", "wild"), ("llama", "farm"), ("goat", "farm"),
    ("sheep", "farm"), ("lamb", "farm"), ("cow", "farm"), ("calf", "farm"), ("pig", "farm"),
    ("piglet", "farm"), ("horse", "farm"), ("pony", "farm"), ("donkey", "farm"), ("puppy", "pet"),
    ("dog", "pet"), ("kitten", "pet"), ("cat", "pet"), ("guinea pig", "pet"), ("ladybug", "bug"),
    ("butterfly", "bug"), ("bee", "bug"), ("ant", "bug"), ("caterpillar", "bug"), ("snail", "bug"),
    ("beetle", "bug"), ("dragonfly", "bug"), ("grasshopper", "bug"), ("firefly", "bug"), ("spider", "bug"),
    ("worm", "bug"), ("lizard", "small"), ("gecko", "small"), ("bat", "wild"), ("weasel", "small"),
    ("ferret", "pet"), ("alpaca", "farm"), ("yak", "farm"), ("walrus", "water"), ("pelican", "water"),
    ("flamingo", "water"), ("stork", "bird"), ("finch", "bird"), ("wren", "bird"), ("cardinal", "bird"),
    ("bluebird", "bird"), ("lark", "bird"), ("duckling", "water"), ("gosling", "water"), ("chick", "farm"),
]

# heroes / friends that are animals (must take he/she and a name)
HERO_ANIMALS = """bunny|fox|bear cub|mouse|squirrel|hedgehog|duckling|kitten|puppy|owl|frog|turtle|
    raccoon|otter|badger|fawn|lamb|piglet|pony|penguin|panda|koala|monkey|elephant|giraffe|lion cub|
    tiger cub|chick|goose|hen|beaver|mole|chipmunk|hamster|seal|dolphin|kangaroo|zebra|donkey|goat|
    llama|calf|wolf pup|baby goat|baby owl|rabbit|deer|mouse|dog|cat""".replace("\n", "").split("|")
HERO_ANIMALS = list(dict.fromkeys(w.strip() for w in HERO_ANIMALS))

ANIMAL_PLURAL_IRREGULAR = {
    "goose": "geese", "mouse": "mice", "sheep": "sheep", "deer": "deer", "fish": "fish",
    "moose": "moose", "wolf": "wolves", "calf": "calves", "guinea pig": "guinea pigs", "yak": "yaks",
}

ANIMAL_MOVES = {
    "bird": ["flew by", "landed nearby", "hopped along the path"],
    "water": ["swam by", "splashed nearby", "paddled past"],
    "small": ["ran by", "scurried past", "hopped across the path"],
    "wild": ["walked by", "wandered past", "came out of the trees"],
    "farm": ["walked by", "trotted past", "wandered over"],
    "pet": ["ran up", "trotted over", "came to say hello"],
    "bug": ["crawled by", "buzzed past", "landed on a leaf"],
}
ANIMAL_ACTS = {
    "bird": ["sitting on a branch", "singing in a tree", "pecking at some seeds", "building a nest",
             "flapping its wings"],
    "water": ["swimming in the water", "splashing in the water", "floating near the shore",
              "diving for food"],
    "small": ["nibbling on a leaf", "digging a little hole", "hiding under a bush", "sniffing the air",
              "sitting very still"],
    "wild": ["drinking from a stream", "resting under a tree", "looking around", "walking slowly",
             "sniffing the ground"],
    "farm": ["eating some grass", "resting in the shade", "chewing on hay", "looking over a fence"],
    "pet": ["wagging its tail", "chasing its tail", "rolling in the grass", "sleeping in the sun"],
    "bug": ["crawling on a leaf", "sitting on a flower", "climbing a blade of grass", "resting on a twig"],
}
ANIMAL_SOUNDS = {
    "duck": "quack", "goose": "honk", "dog": "woof", "puppy": "woof", "cat": "meow", "kitten": "meow",
    "cow": "moo", "calf": "moo", "sheep": "baa", "lamb": "baa", "pig": "oink", "piglet": "oink",
    "owl": "hoo", "frog": "ribbit", "hen": "cluck", "rooster": "cock-a-doodle-doo", "chick": "peep",
    "horse": "neigh", "pony": "neigh", "donkey": "hee-haw", "bee": "buzz", "lion": "roar",
    "mouse": "squeak", "crow": "caw", "goat": "maa", "seagull": "caw", "duckling": "peep",
}

CHAR_ADJ = """kind curious shy clever funny gentle playful quiet friendly busy smart silly sweet
    helpful lively sleepy bouncy careful polite honest thoughtful caring chatty dreamy giggly bold
    quick tall young merry patient loving adventurous creative energetic hardworking imaginative
    generous cheeky cuddly daring wise witty eager charming talkative humble modest mischievous
    fearless clumsy noisy tidy messy sporty artistic musical bookish cheery spunky jolly nosy
    thoughtful good-natured bubbly""".split()

OBJ_ADJ = """shiny soft smooth bright round bumpy fuzzy sparkly new clean pretty lovely beautiful
    neat small big long warm cozy strong sturdy fancy glittery glossy silky fluffy squishy bouncy
    striped spotted perfect special old wobbly crinkly polished delicate precious shimmery velvety
    tiny little light heavy plain simple squeaky""".split()

PLACE_ADJ = """quiet busy noisy peaceful big huge crowded lovely beautiful calm clean magical
    wonderful cozy pretty wide open shady old tidy colorful lively fresh bustling friendly
    sleepy cheerful grand""".split()

ANIMAL_ADJ = """little tiny big fluffy furry sleepy busy friendly shy funny young baby quick quiet
    curious playful chubby small skinny hungry happy-looking spotted speedy""".split()

MOVES = """walked ran skipped hopped raced hurried wandered strolled dashed marched tiptoed zoomed
    jogged trotted bounced scampered rushed headed""".split()

ADVERBS = """happily slowly quickly carefully quietly gently proudly eagerly softly cheerfully
    bravely loudly calmly kindly excitedly patiently merrily sleepily shyly boldly""".split()

POS_FEEL = """happy proud glad excited thankful joyful cheerful calm peaceful delighted grateful
    hopeful content brave safe loved relaxed lucky pleased thrilled satisfied warm""".split()
NEG_FEEL = """sad worried scared upset lonely grumpy nervous frustrated cross gloomy afraid
    confused unhappy shaky""".split()

WEATHER = {
    "sunny": ["The sun was warm and bright.", "The sky was clear, and the sun smiled down."],
    "rainy": ["Little drops of rain tapped on the window.", "Puddles filled the road."],
    "windy": ["The wind blew the leaves around.", "The trees swayed in the wind."],
    "snowy": ["Soft snow covered the ground.", "Soft flakes fell from the sky."],
    "cloudy": ["Big clouds drifted across the sky.", "The sky was soft and dim."],
    "foggy": ["The fog was thick and cool.", "Everything looked soft and far away in the fog."],
    "warm": ["The air was soft and warm.", "It felt like summer."],
    "cool": ["The air was fresh and cool.", "A cool breeze came through the window."],
    "chilly": ["Everyone wore a warm coat.", "The air nipped at noses and toes."],
    "breezy": ["A gentle breeze blew through the trees.", "The curtains danced in the breeze."],
    "misty": ["A light mist hung over the grass.", "The hills were hidden in the mist."],
    "frosty": ["Frost sparkled on the grass.", "The windows had frost on them."],
    "hot": ["It was so hot that the dogs slept in the shade.", "The air shimmered in the heat."],
    "stormy": ["Thunder rumbled far away.", "Dark clouds rolled across the sky."],
    "crisp": ["The leaves crunched underfoot.", "The air was crisp and clean."],
    "cold": ["Breath made little clouds in the air.", "Everyone wore hats and scarves."],
    "clear": ["Not one cloud was in the sky.", "The sky was wide and clear."],
    "drizzly": ["A soft drizzle fell all day.", "Tiny drops sparkled on the leaves."],
}
TIMES = ["morning", "afternoon", "evening"]
SEASONS = ["spring", "summer", "fall", "winter", "autumn"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

ACTIVITIES = """draw pictures|sing songs|read books|build towers|bake cookies|plant seeds|dance|
    climb trees|ride bikes|fly kites|chase butterflies|play hide and seek|make sand castles|
    splash in puddles|count stars|collect shells|paint|jump rope|play with blocks|look at clouds|
    pick flowers|feed the ducks|tell stories|make up songs|play the drum|help in the garden|
    go for walks|watch the birds|play dress-up|skip stones|swing on the swing|make paper boats|
    play tag|do puzzles|play catch|hum tunes|build forts|hunt for bugs|look for treasure|
    watch the trains|make funny faces|skate|swim|roll down hills|make mud pies|play pretend|
    ask questions|learn new words|fold paper animals|visit the library|cook with Grandma|
    run races|stack cups|blow bubbles|dig in the sand|play with the cat|help Dad fix things|
    sort buttons|whistle|do cartwheels|make bead necklaces|plant sunflowers|look at maps""".replace("\n", "").split("|")
ACTIVITIES = [a.strip() for a in ACTIVITIES]
DOUBLE_FINAL = {"swim", "skip", "dig", "run", "jog", "hop", "clap", "hum", "stop", "sit"}

GAMES = """hide and seek|tag|catch|hopscotch|a game of pretend|follow the leader|I spy|leapfrog|
    a treasure hunt|a guessing game|duck duck goose|Simon says|musical chairs|tic-tac-toe|
    a running race|dress-up|house|pirates|explorers|knights and dragons|school|store|
    a clapping game|jump rope|a counting game|statues|a silly dancing game|shadow tag|
    a rhyming game|a hopping race""".replace("\n", "").split("|")
GAMES = [g.strip() for g in GAMES]

FOODS = """some apple slices|a peanut butter sandwich|warm cookies|a bowl of soup|fresh bread|
    some grapes|a slice of pie|cheese and crackers|a big muffin|pancakes|a cup of lemonade|
    hot cocoa|some strawberries|banana bread|popcorn|carrot sticks|a cheese sandwich|noodles|
    rice balls|ice cream|fruit salad|toast with jam|a juicy pear|some berries|a bowl of oatmeal|
    a warm bun|some melon balls|a little cake|corn on the cob|a bowl of rice|dumplings|
    a cup of warm milk|a plate of pasta|some nuts and raisins|a slice of melon|mini pizzas""".replace("\n", "").split("|")
FOODS = [f.strip() for f in FOODS]
FOOD_ADJ = """yummy tasty sweet delicious crunchy fresh juicy warm soft""".split()

DREAMS = """flying kites in the clouds|big castles in the sky|swimming with fish|a land made of candy|
    dancing with the stars|a boat on a sparkling sea|talking animals|a giant friendly whale|
    a garden full of giant flowers|riding a cloud|a tiny door in a tree|a parade of ducks|
    a mountain made of pillows|a treehouse in the moon|a train that went to the stars|
    a picnic with bears|a rainbow bridge|a sea full of bubbles""".replace("\n", "").split("|")
DREAMS = [d.strip() for d in DREAMS]

DREAM_GOALS = """see the sea|fly like a bird|be a painter|climb the tallest hill|find a real treasure|
    meet a real whale|build a rocket|sail across the lake|learn to whistle|grow the biggest pumpkin|
    write a book|be a doctor|play in a band|visit the moon|ride a horse|make a new friend""".replace("\n", "").split("|")
DREAM_GOALS = [d.strip() for d in DREAM_GOALS]

FEATURES = """tiny stars painted on it|little round dots|a tiny bell tied to it|a name written on it|
    a small heart on one side|a shiny ribbon around it|a funny little face|wavy stripes|
    a pattern of tiny flowers|a gold edge|a little tag with a smiley face|a soft, fuzzy edge|
    a tiny moon on the side|a row of little buttons|a picture of a bird on it|a swirl like a snail shell|
    a little pocket|a tiny clasp|a tiny crack that made it look old""".replace("\n", "").split("|")
FEATURES = [f.strip() for f in FEATURES]

TOWN_ADJ = """small little quiet busy sleepy leafy snowy sunny hilly windy friendly tiny
    old faraway peaceful""".split()
TOWNS = """town village city valley neighborhood street""".split()
HOME_DESC = """little house|small cottage|big house|old stone house|cozy cabin|tall apartment|
    house with a round door|house with a big garden|little farmhouse|houseboat|house on stilts|cottage with a round window""".replace("\n", "").split("|")
HOME_DESC = [h.strip() for h in HOME_DESC]
HOME_NEAR = """the woods|the sea|a big lake|a busy road|a quiet river|a grassy hill|the mountains|
    the train station|a little bakery|the old mill|a field of wheat|the harbor""".replace("\n", "").split("|")
HOME_NEAR = [h.strip() for h in HOME_NEAR]
ANIMAL_HOMES = """in a hole under a big tree|in a cozy nest|near a quiet pond|in a little house by the river|
    on a grassy hill|in a hollow log|under an old bridge|at the edge of the meadow|
    in a burrow full of soft leaves|behind a big waterfall|in a barn on a farm|near the sea""".replace("\n", "").split("|")
ANIMAL_HOMES = [h.strip() for h in ANIMAL_HOMES]
HAIR = """curly hair|long hair|short hair|a big smile|freckles|bright eyes|two braids|a ponytail|
    round glasses|a missing tooth|rosy cheeks|a funny hat|a loud laugh|dimples""".replace("\n", "").split("|")
HAIR = [h.strip() for h in HAIR]
PETS = ["dog", "cat", "puppy", "kitten", "hamster", "goldfish", "parrot", "rabbit", "turtle", "guinea pig"]

BUILDS = [("fort", "sticks"), ("tower", "blocks"), ("castle", "sand"), ("house", "boxes"),
          ("boat", "paper"), ("hat", "paper"), ("crown", "leaves"), ("nest", "grass"),
          ("bridge", "twigs"), ("robot", "old boxes"), ("snake", "pebbles"), ("rocket", "cardboard"),
          ("tent", "blankets"), ("train", "chairs"), ("garden", "stones")]
PICTURES = """a big rainbow|a smiling sun|a tall giraffe|a house with a garden|the sea|a funny cat|
    a rocket ship|a whole family of ducks|a dragon|a castle|a starry night|a happy whale""".replace("\n", "").split("|")
PICTURES = [p.strip() for p in PICTURES]
SONGS = """the moon|a silly frog|the wind|a little boat|sharing|the stars|a happy bee|the rain|
    a big bus|a sleepy bear|best friends|the sea""".replace("\n", "").split("|")
SONGS = [s.strip() for s in SONGS]
SCARES = """a loud noise|a big dog barking|a clap of thunder|a dark shadow|a buzzing bee|
    a strange sound in the bushes|a very tall slide|the dark tunnel|a big wave|a spider on a web""".replace("\n", "").split("|")
SCARES = [s.strip() for s in SCARES]

LESSONS = {
    "share": ["sharing makes fun things even more fun", "sharing is a kind thing to do",
              "a friend to share with is the best treasure", "playing together is better than playing alone",
              "when you share, everyone can smile"],
    "help": ["friends help each other", "it is good to ask for help", "a little help can fix a big problem",
             "helping others is a wonderful thing", "no problem is too big when friends work together"],
    "lost": ["it is good to keep your things in a safe place", "you should never give up looking",
             "being careful with your things is smart", "staying calm helps you find what you lost"],
    "brave": ["being brave does not mean you are never scared", "a friend's hand can make you brave",
              "scary things are less scary when you face them"],
    "count": ["counting can be fun", "numbers are everywhere if you look", "a little more adds up to a lot"],
    "general": ["every day can be an adventure", "small things can bring big smiles",
                "being kind is always a good idea", "trying new things is fun",
                "there is always something new to discover", "the world is full of wonderful surprises",
                "good days are even better with friends", "patience brings good things",
                "taking care of your things is important", "it is good to be curious"],
}

SYSTEM_PROMPTS = [
    "You are a helpful assistant.",
    "You are a helpful assistant who answers questions about short stories.",
    "You are a friendly teacher. Answer the question in one short sentence.",
    "Read the story carefully and answer the question.",
    "You answer questions about children's stories. Keep your answers short and correct.",
    "You are a patient tutor who helps children with reading and numbers.",
]


def _plural(word: str) -> str:
    if word in ANIMAL_PLURAL_IRREGULAR:
        return ANIMAL_PLURAL_IRREGULAR[word]
    head, _, last = word.rpartition(" ")
    if last.endswith(("s", "x", "z", "ch", "sh")):
        p = last + "es"
    elif last.endswith("y") and last[-2:-1] not in "aeiou":
        p = last[:-1] + "ies"
    elif last.endswith("f"):
        p = last[:-1] + "ves"
    else:
        p = last + "s"
    return (head + " " + p) if head else p


def _build_objects():
    seen, out = set(), []
    for kind, blob in OBJECTS.items():
        for name in blob.split("|"):
            name = " ".join(name.split())
            if name and name not in seen:
                seen.add(name)
                out.append((name, kind))
    return out


OBJECT_LIST = _build_objects()          # [(name, kind)]

# Drop character names that equal any other vocabulary word, so name facts stay unambiguous.
_VOCAB_WORDS = set()
for _w in COLOURS + POS_FEEL + NEG_FEEL + list(WEATHER) + CHAR_ADJ + OBJ_ADJ + PLACE_ADJ + TIMES + SEASONS:
    _VOCAB_WORDS.add(_w.lower())
for _n, _k in OBJECT_LIST:
    _VOCAB_WORDS.update(_n.lower().split())
for _s, _p, _g in COUNT_ITEMS:
    _VOCAB_WORDS.update(_s.split())
    _VOCAB_WORDS.update(_p.split())
for _a, _c in ANIMALS:
    _VOCAB_WORDS.add(_a)


def _clean_names(names, taken):
    out = []
    for n in names:
        if n.lower() in _VOCAB_WORDS or n in taken:
            continue
        taken.add(n)
        out.append(n)
    return out


_taken: set = set()
NEUTRAL_NAMES = _clean_names(NEUTRAL_NAMES, _taken)
GIRL_NAMES = _clean_names(GIRL_NAMES, _taken)
BOY_NAMES = _clean_names(BOY_NAMES, _taken)
PET_NAMES = _clean_names(PET_NAMES, _taken)
ALL_NAMES = GIRL_NAMES + BOY_NAMES + NEUTRAL_NAMES

# Grown-ups who give things and help: a few family words, and many titled names built from the
# name lists ("Aunt Nora", "Uncle Felix", "Mrs. Okafor") so that helpers vary as much as children.
HELPER_FAMILY = [("Mom", "she"), ("Dad", "he"), ("Mama", "she"), ("Papa", "he"), ("Grandma", "she"),
                 ("Grandpa", "he"), ("Granny", "she"), ("Nana", "she")]
SURNAMES = """Lee Garcia Patel Novak Okafor Hill Jones Kim Chen Wang Nguyen Lopez Martin Rossi Muller Silva
    Costa Khan Sato Tanaka Berg Larsen Dubois Moreau Schmidt Fischer Weber Kowalski Horvat Popescu Murphy
    Kelly Walsh Evans Hughes Price Turner Cooper Ward Hayes Bennett Rivera Torres Ramirez Flores Gomez Diaz
    Reyes Cruz Ortiz Morales Castillo Romero Alvarez Mendoza Santos Pereira Ferreira Almeida Oliveira Ribeiro
    Nakamura Suzuki Watanabe Yamamoto Kobayashi Ito Park Choi Jung Kang Cho Yoon Lim Tan Wong Ng Singh Kumar
    Sharma Gupta Reddy Iyer Das Bose Mensah Owusu Adeyemi Nwosu Mwangi Otieno Haddad Nasser Farah Cohen
    Friedman Katz Klein Stein Meyer Wagner Becker Hoffmann Schulz Koch Richter Jensen Nielsen Hansen Andersen
    Johansson Lindqvist Nilsson Eriksson Virtanen Korhonen Bianchi Romano Ricci Greco Conti Esposito Moretti
    Dvorak Horvath Nagy Szabo Toth Kovacs Petrov Ivanov Popov Sokolov Lebedev Murray Fraser Campbell Stewart
    MacLeod Byrne Doyle Gallagher Jackson Robinson Thompson Okonkwo Banerjee Mehta Takahashi Hernandez""".split()
_all_first = set(ALL_NAMES) | set(PET_NAMES)
SURNAMES = [x for x in dict.fromkeys(SURNAMES) if x.lower() not in _VOCAB_WORDS and x not in _all_first]
HELPER_TITLED = (
    [("Aunt " + n, "she") for n in GIRL_NAMES[::2]] + [("Grandma " + n, "she") for n in GIRL_NAMES[1::4]]
    + [("Uncle " + n, "he") for n in BOY_NAMES[::2]] + [("Grandpa " + n, "he") for n in BOY_NAMES[1::4]]
    + [(t + " " + x, p) for x in SURNAMES for t, p in (("Mr.", "he"), ("Mrs.", "she"), ("Miss", "she"))]
)
HELPERS = HELPER_FAMILY + HELPER_TITLED

# ---------------------------------------------------------------------------------------------
# Chinese (a smaller vocabulary; measure words kept with each noun)
# ---------------------------------------------------------------------------------------------

ZH_GIRL_NAMES = """小美 小红 小花 小雪 小月 小雨 小燕 小玲 小丽 小芳 小琳 小静 小婷 小梅 小兰 小云 小蝶 小萌
    朵朵 甜甜 婷婷 妞妞 囡囡 欢欢 笑笑 贝贝 果果 悠悠 依依 萱萱 可可 糖糖 芊芊 露露 莎莎 晶晶 圆圆 琪琪
    安安 宁宁 月月 星星 彤彤 妮妮 希希 诺诺 心心 语嫣 梓涵 欣怡 雨桐 思琪 佳怡 子萱 若曦 诗涵 梦琪
    晓雯 静怡 嘉欣 紫涵 雅琪""".split()
ZH_BOY_NAMES = """小明 小刚 小强 小军 小龙 小虎 小东 小杰 小宇 小磊 小峰 小凯 小伟 小林 小山 小海 小飞 小勇
    乐乐 豆豆 壮壮 皮皮 毛毛 冬冬 东东 亮亮 阳阳 天天 辰辰 浩浩 宝宝 牛牛 丁丁 嘟嘟 淘淘 航航 睿睿 轩轩
    子轩 浩然 宇航 俊杰 博文 天佑 明哲 思远 家豪 志强 亦凡 文博 子豪 嘉懿 皓轩 俊熙 泽宇 梓睿""".split()
# animal characters: (kind word, measure)
ZH_HERO_ANIMALS = [("小兔子", "只"), ("小狐狸", "只"), ("小熊", "只"), ("小老鼠", "只"), ("小松鼠", "只"),
                   ("小刺猬", "只"), ("小鸭子", "只"), ("小猫", "只"), ("小狗", "只"), ("小猴子", "只"),
                   ("小象", "头"), ("小鹿", "只"), ("小猪", "只"), ("小羊", "只"), ("小马", "匹"),
                   ("小企鹅", "只"), ("小熊猫", "只"), ("小青蛙", "只"), ("小乌龟", "只"), ("小鸡", "只"),
                   ("小浣熊", "只"), ("小海豹", "只"), ("小袋鼠", "只"), ("小长颈鹿", "只"), ("小斑马", "匹")]
ZH_PET_NAMES = """豆豆 球球 团团 点点 毛毛 咪咪 乖乖 跳跳 花花 白白 胖胖 圆圆 蹦蹦 嘟嘟 呼呼 棉棉 闪闪 叮当
    布丁 奶糖 饼干 米粒 芝麻 核桃 栗子 汤圆 年糕 花卷 豆包 果冻""".split()
ZH_HELPER_FAMILY = [("妈妈", "她"), ("爸爸", "他"), ("奶奶", "她"), ("爷爷", "他"), ("外婆", "她"), ("外公", "他"),
                    ("姑姑", "她"), ("舅舅", "他"), ("姐姐", "她"), ("哥哥", "他")]
_ZH_SURNAMES = "王李张刘陈杨赵周吴徐孙马朱胡林郭何高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕任沈姚卢姜崔钟谭陆汪范金廖贾夏韦方邹孟熊秦邱江尹薛段雷侯史陶黎贺顾郝龚邵严覃戴莫孔汤"
ZH_HELPER_TITLED = [(x + t, p) for x in _ZH_SURNAMES for t, p in (
    ("阿姨", "她"), ("奶奶", "她"), ("叔叔", "他"), ("爷爷", "他"), ("伯伯", "他"), ("老师", "她" if ord(x) % 2 else "他"))]
ZH_HELPERS = ZH_HELPER_FAMILY + ZH_HELPER_TITLED
ZH_COLOURS = ["红色", "蓝色", "绿色", "黄色", "橙色", "紫色", "粉色", "棕色", "黑色", "白色", "灰色",
              "金色", "银色", "天蓝色", "浅绿色", "深蓝色", "米色", "青色"]
# (name, measure, kind)
ZH_OBJECTS = [
    ("风筝", "只", "toy"), ("皮球", "个", "toy"), ("布娃娃", "个", "toy"), ("小汽车", "辆", "toy"),
    ("小火车", "列", "toy"), ("小帆船", "艘", "toy"), ("陀螺", "个", "toy"), ("积木", "盒", "toy"),
    ("玩具熊", "只", "toy"), ("机器人", "个", "toy"), ("气球", "个", "toy"), ("溜溜球", "个", "toy"),
    ("小飞机", "架", "toy"), ("拼图", "盒", "toy"), ("跳绳", "根", "toy"), ("风车", "个", "toy"),
    ("帽子", "顶", "wear"), ("围巾", "条", "wear"), ("裙子", "条", "wear"), ("外套", "件", "wear"),
    ("毛衣", "件", "wear"), ("雨衣", "件", "wear"), ("发卡", "个", "wear"), ("披风", "件", "wear"),
    ("手套", "副", "wear"), ("项链", "条", "wear"), ("手链", "条", "wear"), ("蝴蝶结", "个", "wear"),
    ("自行车", "辆", "ride"), ("滑板车", "辆", "ride"), ("滑板", "块", "ride"), ("小推车", "辆", "ride"),
    ("鼓", "面", "music"), ("口哨", "个", "music"), ("笛子", "支", "music"), ("铃铛", "个", "music"),
    ("小吉他", "把", "music"), ("口琴", "支", "music"), ("八音盒", "个", "music"), ("小喇叭", "个", "music"),
    ("篮子", "个", "carry"), ("小桶", "个", "carry"), ("书包", "个", "carry"), ("盒子", "个", "carry"),
    ("杯子", "个", "carry"), ("水壶", "个", "carry"), ("雨伞", "把", "carry"), ("罐子", "个", "carry"),
    ("存钱罐", "个", "carry"), ("小碗", "个", "carry"), ("灯笼", "盏", "carry"), ("花盆", "个", "carry"),
    ("书", "本", "paper"), ("笔记本", "本", "paper"), ("日记本", "本", "paper"), ("地图", "张", "paper"),
    ("贺卡", "张", "paper"), ("画册", "本", "paper"), ("故事书", "本", "paper"), ("明信片", "张", "paper"),
    ("蜡笔", "支", "art"), ("铅笔", "支", "art"), ("画笔", "支", "art"), ("彩笔", "支", "art"),
    ("毯子", "条", "thing"), ("枕头", "个", "thing"), ("台灯", "盏", "thing"), ("闹钟", "个", "thing"),
    ("钥匙", "把", "thing"), ("戒指", "枚", "thing"), ("镜子", "面", "thing"), ("梳子", "把", "thing"),
    ("羽毛", "根", "thing"), ("贝壳", "个", "thing"), ("石头", "块", "thing"), ("放大镜", "个", "thing"),
    ("手电筒", "个", "thing"), ("望远镜", "个", "thing"), ("奖牌", "枚", "thing"), ("扣子", "颗", "thing"),
    ("小旗子", "面", "thing"), ("弹珠", "颗", "thing"), ("蜡烛", "根", "thing"), ("花瓶", "个", "thing"),
]
ZH_KINDS = {
    "toy": dict(use=["玩", "拿着玩"], broke=["摔坏了", "裂开了", "掉了一块"], fix=["胶水", "胶带"], light=True),
    "wear": dict(use=["戴", "穿"], broke=["破了一个洞", "撕破了"], fix=["针线", "一块小补丁"], light=True),
    "ride": dict(use=["骑"], broke=["掉了一个轮子", "坏了"], fix=["扳手", "打气筒"], light=False),
    "music": dict(use=["玩", "吹", "敲"], broke=["裂开了", "坏了"], fix=["胶水", "胶带"], light=True),
    "carry": dict(use=["拿着", "提着"], broke=["裂开了", "破了"], fix=["胶水", "胶带"], light=True),
    "paper": dict(use=["看", "翻"], broke=["撕破了", "掉了一页"], fix=["胶带", "胶水"], light=True),
    "art": dict(use=["画画"], broke=["断成了两截", "断了"], fix=["胶带", "橡皮筋"], light=True),
    "thing": dict(use=["拿着", "看"], broke=["裂开了", "摔坏了"], fix=["胶水", "胶带"], light=True),
}
# wear objects: which verb goes with which (戴 for hats/scarves/jewellery, 穿 for clothes)
ZH_WEAR_VERB = {"帽子": "戴", "围巾": "围", "裙子": "穿", "外套": "穿", "毛衣": "穿", "雨衣": "穿",
                "发卡": "戴", "披风": "披", "手套": "戴", "项链": "戴", "手链": "戴", "蝴蝶结": "戴"}
ZH_MUSIC_VERB = {"鼓": "敲", "口哨": "吹", "笛子": "吹", "铃铛": "摇", "小吉他": "弹", "口琴": "吹",
                 "八音盒": "听", "小喇叭": "吹"}
# (name, indoor, sights)
ZH_PLACES = [
    ("公园", False, ["秋千", "滑梯", "小鸭子", "大树", "花坛"]),
    ("海边", False, ["海浪", "海鸥", "沙堡", "小螃蟹", "小船"]),
    ("森林", False, ["大树", "蘑菇", "松鼠", "小路", "青苔"]),
    ("花园", False, ["鲜花", "蜜蜂", "蝴蝶", "小喷泉", "石板路"]),
    ("农场", False, ["奶牛", "小猪", "母鸡", "大谷仓", "草垛"]),
    ("湖边", False, ["小船", "青蛙", "芦苇", "鸭子", "木码头"]),
    ("小河边", False, ["鹅卵石", "小鱼", "小桥", "蜻蜓", "芦苇"]),
    ("动物园", False, ["狮子", "大象", "长颈鹿", "猴子", "企鹅"]),
    ("图书馆", True, ["书架", "软椅子", "图画书", "大地球仪"]),
    ("菜市场", False, ["水果摊", "花摊", "热闹的人群", "一筐筐面包"]),
    ("面包店", True, ["新鲜的面包", "蛋糕", "饼干", "大烤箱"]),
    ("小山坡", False, ["野花", "绵羊", "一棵大树", "软软的草地"]),
    ("草地", False, ["野花", "蝴蝶", "高高的草", "小兔子"]),
    ("游乐场", False, ["秋千", "滑梯", "沙坑", "跷跷板", "旋转木马"]),
    ("学校", True, ["课桌", "黑板", "图画", "读书角"]),
    ("博物馆", True, ["恐龙骨头", "油画", "雕像", "玻璃柜"]),
    ("果园", False, ["苹果树", "梨树", "梯子", "篮子"]),
    ("水族馆", True, ["鱼缸", "海龟", "水母", "海星"]),
    ("玩具店", True, ["玩具", "拼图", "布娃娃", "小火车"]),
    ("广场", False, ["喷泉", "鸽子", "长椅", "钟楼"]),
    ("小树林", False, ["大树", "小溪", "石头", "小鸟"]),
    ("奶奶家", True, ["小院子", "大水缸", "老座钟", "花猫"]),
    ("小溪边", False, ["小鱼", "鹅卵石", "青蛙", "小桥"]),
    ("游泳池", False, ["跳水板", "游泳圈", "小朋友"]),
    ("菜园", False, ["西红柿", "黄瓜", "南瓜", "稻草人"]),
    ("山顶", False, ["白云", "松树", "岩石", "远处的村庄"]),
    ("小岛", False, ["椰子树", "沙滩", "贝壳", "海浪"]),
    ("村子", False, ["小房子", "水井", "小鸡", "菜地"]),
    ("书店", True, ["一排排书", "软沙发", "图画书"]),
    ("宠物店", True, ["小狗", "小猫", "鱼缸", "鹦鹉"]),
]
ZH_IN_SPOTS = ["桌子上", "椅子下面", "门边", "书架上", "角落里", "窗台上", "大花盆后面", "楼梯旁边"]
ZH_OUT_SPOTS = ["草丛里", "大石头旁边", "大树后面", "长椅旁边", "落叶堆里", "小路边", "篱笆旁边",
                "小溪边", "花丛里", "树根下面", "木凳下面", "水坑旁边"]
ZH_HOME_SPOTS = ["床底下", "沙发后面", "玩具箱里", "楼梯下面", "阁楼上", "衣柜里", "抽屉里", "书架上",
                 "枕头下面", "门后面", "小院子里", "旧箱子里"]
# (name, measure, group)
ZH_ITEMS = [("贝壳", "个", "nature"), ("石头", "块", "nature"), ("松果", "个", "nature"), ("树叶", "片", "nature"),
            ("羽毛", "根", "nature"), ("橡果", "颗", "nature"), ("鹅卵石", "块", "nature"),
            ("苹果", "个", "fruit"), ("草莓", "颗", "fruit"), ("樱桃", "颗", "fruit"), ("桃子", "个", "fruit"),
            ("梨", "个", "fruit"), ("橘子", "个", "fruit"), ("番茄", "个", "fruit"), ("胡萝卜", "根", "fruit"),
            ("玉米", "根", "fruit"), ("花", "朵", "fruit"), ("蘑菇", "个", "fruit"), ("葡萄", "串", "fruit"),
            ("饼干", "块", "baked"), ("包子", "个", "baked"), ("饺子", "个", "baked"), ("馒头", "个", "baked"),
            ("小蛋糕", "块", "baked"), ("月饼", "个", "baked"), ("汤圆", "个", "baked"),
            ("珠子", "颗", "thing"), ("贴纸", "张", "thing"), ("积木", "块", "thing"), ("卡片", "张", "thing"),
            ("弹珠", "颗", "thing"), ("纸船", "只", "thing"), ("铅笔", "支", "thing"), ("蜡笔", "支", "thing"),
            ("气球", "个", "thing"), ("糖果", "颗", "thing"), ("硬币", "枚", "thing"), ("纸星星", "颗", "thing")]
ZH_GATHER = {"nature": ["捡到了", "找到了", "收集了"], "fruit": ["摘了", "采了"],
             "baked": ["做了", "烤了"], "thing": ["找到了", "收到了"]}
ZH_GATHER_MORE = {"nature": ["又捡到了", "又找到了"], "fruit": ["又摘了", "又采了"],
                  "baked": ["又做了", "又烤了"], "thing": ["又找到了", "又收到了"]}
ZH_CHAR_ADJ = ["可爱", "勇敢", "善良", "聪明", "活泼", "害羞", "乖巧", "调皮", "热心", "好奇", "快乐", "认真",
               "爱笑", "懂事", "机灵", "安静", "淘气", "大方", "细心", "爱唱歌"]
ZH_OBJ_ADJ = ["漂亮", "可爱", "亮晶晶", "软软", "圆圆", "小巧", "崭新", "光滑", "精致", "闪闪发光", "毛茸茸", "结实"]
ZH_PLACE_ADJ = ["热闹", "安静", "美丽", "干净", "宽敞", "凉快", "舒服", "有趣", "漂亮", "明亮"]
ZH_POS_FEEL = ["开心", "高兴", "快乐", "自豪", "满足", "幸福", "兴奋", "感激", "温暖", "轻松", "得意", "安心"]
ZH_NEG_FEEL = ["难过", "着急", "害怕", "伤心", "担心", "失望", "紧张", "委屈"]
ZH_WEATHER = {
    "晴朗": ["太阳暖暖地照着大地。", "天空蓝蓝的，一朵云也没有。"],
    "下雨": ["小雨滴滴答答地敲着窗户。", "路上有好多小水坑。"],
    "刮风": ["风呼呼地吹着，树叶沙沙作响。", "大树在风里轻轻摇晃。"],
    "下雪": ["白白的雪盖住了地面。", "雪花一片一片地飘下来。"],
    "多云": ["天上飘着大朵大朵的白云。", "云朵慢慢地在天上走。"],
    "起雾": ["雾蒙蒙的，远处什么也看不清。", "草地上罩着一层薄雾。"],
    "暖和": ["空气暖暖的，让人很舒服。", "春风吹在脸上暖暖的。"],
    "凉爽": ["凉风轻轻地吹过来。", "空气又清新又凉爽。"],
    "寒冷": ["大家都穿上了厚厚的棉衣。", "一说话就冒出白白的热气。"],
}
ZH_TIMES = ["早晨", "上午", "下午", "傍晚"]
ZH_ANIMALS = [("小鸟", "只"), ("松鼠", "只"), ("兔子", "只"), ("青蛙", "只"), ("小鸭子", "只"), ("蝴蝶", "只"),
              ("蜜蜂", "只"), ("小狗", "只"), ("小猫", "只"), ("刺猬", "只"), ("乌龟", "只"), ("小鹿", "只"),
              ("蜻蜓", "只"), ("蜗牛", "只"), ("瓢虫", "只"), ("喜鹊", "只"), ("鸽子", "只"), ("小鱼", "条"),
              ("狐狸", "只"), ("猫头鹰", "只"), ("天鹅", "只"), ("小羊", "只"), ("奶牛", "头"), ("小马", "匹"),
              ("啄木鸟", "只"), ("螃蟹", "只"), ("萤火虫", "只"), ("大白鹅", "只"), ("小猴子", "只"), ("熊猫", "只")]
ZH_ACTIVITIES = ["画画", "唱歌", "看书", "搭积木", "做手工", "种花", "跳舞", "放风筝", "捉迷藏", "堆沙堡",
                 "踩水坑", "数星星", "捡贝壳", "跳绳", "看云朵", "喂小鸭子", "讲故事", "折纸船", "吹泡泡",
                 "荡秋千", "拍皮球", "玩拼图", "观察小虫子", "帮奶奶浇花", "跑步", "骑自行车", "下棋", "包饺子"]
ZH_GAMES = ["捉迷藏", "老鹰捉小鸡", "跳房子", "丢手绢", "木头人", "过家家", "寻宝游戏", "跳皮筋",
            "丢沙包", "开火车", "贴鼻子", "拍手游戏"]
ZH_FOODS = ["苹果片", "三明治饼干", "热牛奶", "香香的面包", "一碗面条", "几块饼干", "一串葡萄", "小笼包",
            "水果沙拉", "热乎乎的包子", "一碗粥", "冰淇淋", "玉米棒", "蛋炒饭", "小馄饨", "烤红薯"]
ZH_FOODS = [f for f in ZH_FOODS if f != "三明治饼干"] + ["果酱面包"]
ZH_DREAMS = ["在云朵上放风筝", "和小鱼一起游泳", "住在糖果做的房子里", "坐着小船去看星星",
             "和会说话的小动物做朋友", "在月亮上荡秋千", "骑着大鲸鱼去旅行", "走进一座开满鲜花的城堡"]
ZH_LESSONS = {
    "share": ["分享会让快乐变成两份", "和朋友一起玩比一个人玩更开心", "懂得分享的人最快乐"],
    "help": ["朋友之间要互相帮助", "遇到困难可以请别人帮忙", "大家一起想办法，什么问题都能解决"],
    "lost": ["要好好保管自己的东西", "遇到事情不要着急，要慢慢找", "只要不放弃，就一定能找到"],
    "brave": ["勇敢就是害怕的时候也不退缩", "有朋友在身边，就不那么害怕了"],
    "count": ["数数其实很有趣", "一点一点加起来就会变成很多"],
    "general": ["每一天都可以是一次小小的冒险", "小小的东西也能带来大大的快乐", "做一个善良的人最重要",
                "多去看看，世界上有很多有趣的事情", "爱护自己的东西是一个好习惯", "耐心等待会有好事发生"],
}
ZH_SYSTEM_PROMPTS = ["你是一个乐于助人的助手。", "你是一位耐心的老师，请用一句话回答问题。",
                     "请仔细阅读故事，然后回答问题。", "你负责回答关于儿童故事的问题，回答要简短、准确。"]
ZH_BUILDS = [("城堡", "座", "沙子"), ("小房子", "座", "纸箱"), ("高塔", "座", "积木"), ("小船", "只", "树叶"),
             ("小桥", "座", "树枝"), ("小窝", "个", "干草")]

# numerals inside names would collide with number answers (一, 两, 十...)
_ZH_NUMERALS = set("零一二两三四五六七八九十百")
ZH_GIRL_NAMES = [n for n in ZH_GIRL_NAMES if not _ZH_NUMERALS & set(n)]
ZH_BOY_NAMES = [n for n in ZH_BOY_NAMES if not _ZH_NUMERALS & set(n) and n not in ZH_GIRL_NAMES]
ZH_PET_NAMES = [n for n in ZH_PET_NAMES if not _ZH_NUMERALS & set(n) and n not in ZH_GIRL_NAMES + ZH_BOY_NAMES]

# ---------------------------------------------------------------------------------------------
# Scene sentences (English): composed from parts, "someone / did something / somewhere".
# No animals and no colour words here, so that they never blur the story's checkable facts.
# ---------------------------------------------------------------------------------------------

HERO_WALKS = """skipped past|walked around|tiptoed past|ran around|wandered near|hopped past|strolled by|
    raced past|marched past|danced past""".replace("\n", "").split("|")
HERO_WALKS = [p.strip() for p in HERO_WALKS]

# compositional scene parts: "{a} {adjective} {person}" + "{verb} {thing}" + "{preposition} the {adjective} {spot}"
SCENE_PERSON_ADJ = """old young tall little cheerful sleepy busy kind friendly quiet smiling tired jolly
    gentle shy careful proud funny chatty happy patient clever""".split()
SCENE_PERSON = ["man", "woman", "lady", "baker", "gardener", "farmer", "painter", "teacher", "clown", "fisherman",
                "musician", "grandma", "grandpa", "boy", "girl", "mother", "father", "guard", "nurse", "cook",
                "traveler", "shopkeeper", "juggler", "storyteller", "student", "singer", "poet", "dancer", "doctor",
                "builder", "artist", "librarian", "chef", "sailor", "mail carrier"]
SCENE_VERB_OBJ = {
    "sold": ["warm bread", "balloons", "fresh apples", "flowers", "sun hats", "lemonade", "ice cream", "postcards", "little toys", "apple pies"],
    "carried": ["a big box", "a basket of eggs", "a stack of books", "a long ladder", "two buckets", "a bag of oranges", "a sleepy baby", "a tall plant"],
    "painted": ["a fence", "a sign", "a bench", "a door", "a little boat", "a picture of the sky", "a flower pot", "a wooden gate"],
    "played": ["a little tune", "the violin", "a guitar", "a happy song on a flute", "a board game", "a game of cards", "the drums"],
    "read": ["a newspaper", "a fat book", "a letter", "a map", "a poem out loud", "a story to some children"],
    "fixed": ["a bike", "a squeaky gate", "a broken chair", "a wobbly table", "a flat tire", "a lamp", "an old clock"],
    "watered": ["the flowers", "some tomato plants", "a row of beans", "the roses", "a little tree"],
    "swept": ["the path", "the steps", "the leaves away", "the porch", "the sidewalk"],
    "ate": ["a sandwich", "an apple", "some soup", "a big pretzel", "a slice of pie", "some noodles"],
    "sang": ["a happy song", "a silly song", "an old song", "a song about the sea", "a lullaby"],
    "hung up": ["a sign", "some lanterns", "a string of flags", "a wind chime", "some laundry"],
    "handed out": ["stickers", "balloons", "cookies", "little flags", "paper hats", "flyers"],
    "built": ["a tower of cups", "a little stage", "a sand castle", "a bird house", "a wooden cart"],
    "drew": ["pictures with chalk", "a funny face", "a map", "a big sun", "the trees"],
    "waved": ["a little flag", "at the children", "a big hat", "to a friend", "goodbye"],
    "juggled": ["three oranges", "four balls", "some rings", "two hats"],
    "pushed": ["a stroller", "a wheelbarrow", "a cart of fruit", "a bike with a flat tire"],
    "planted": ["some seeds", "a little tree", "a row of tulips", "some herbs"],
    "blew": ["big bubbles", "a shiny whistle", "a horn", "on a cup of tea"],
}
SCENE_SPOT_PREP = ["near", "by", "beside", "next to", "behind", "in front of", "across from", "not far from"]
SCENE_SPOT_ADJ = """old big little small pretty quiet busy new lovely sunny""".split()
SCENE_SPOT = ["gate", "fountain", "bench", "path", "wall", "fence", "clock tower", "bridge", "stall", "cart",
              "lamp post", "tree", "hedge", "steps", "pond", "sign", "kiosk", "statue", "well", "flower bed",
              "bus stop", "bandstand", "shop", "window", "door", "hill", "tent", "shed", "bakery stand", "playground"]

# More Chinese names, built the usual way: 小 + one character, or one character said twice.
_ZH_GIRL_CHARS = "美红花雪月雨燕玲丽芳琳静婷梅兰云蝶萌朵甜欢笑贝果悠依萱可糖芊露莎晶圆琪安宁星彤妮希诺心桃莉菲珊薇岚瑶蕾璐茜佳慧颖娜倩楠"
_ZH_BOY_CHARS = "明刚强军龙虎东杰宇磊峰凯伟林山海飞勇乐豆壮皮毛冬亮阳天辰浩宝牛丁嘟淘航睿轩鹏涛波斌超康健平松石川翔博文武锐毅"


def _zh_more_names(chars, taken):
    out = []
    for ch in chars:
        for name in ("小" + ch, ch + ch):
            if name not in taken and not _ZH_NUMERALS & set(name):
                taken.add(name)
                out.append(name)
    return out


_zh_taken = set(ZH_GIRL_NAMES) | set(ZH_BOY_NAMES) | set(ZH_PET_NAMES)
ZH_GIRL_NAMES = ZH_GIRL_NAMES + _zh_more_names(_ZH_GIRL_CHARS, _zh_taken)
ZH_BOY_NAMES = ZH_BOY_NAMES + _zh_more_names(_ZH_BOY_CHARS, _zh_taken)

# Chinese scene parts: "{一位}{adj}的{person}" + "在{spot}" + "{act}"
ZH_SCENE_PERSON = ["老爷爷", "老奶奶", "面包师傅", "园丁", "农民伯伯", "画家", "老师", "小丑", "渔夫", "邮递员",
                   "厨师", "医生", "警察叔叔", "阿姨", "叔叔", "大哥哥", "大姐姐", "音乐家", "卖花的阿姨",
                   "清洁工", "船长", "魔术师", "修鞋师傅", "书店老板", "一家人"]
ZH_SCENE_PERSON_ADJ = ["和气", "慈祥", "高高", "胖胖", "瘦瘦", "忙碌", "爱笑", "热情", "安静", "认真", "快乐", "年轻"]
ZH_SCENE_SPOT = ["长椅上", "喷泉旁边", "大树下", "小路边", "花坛边", "小桥上", "大门口", "小摊前", "草地上",
                 "台阶上", "路灯下", "亭子里", "石凳上", "池塘边", "篱笆旁", "小卖部门口"]
ZH_SCENE_ACT = ["看报纸", "卖气球", "浇花", "扫落叶", "拉小提琴", "画画", "下象棋", "打太极拳", "弹吉他",
                "卖冰糖葫芦", "吹泡泡", "跳舞", "唱歌", "晒太阳", "聊天", "修自行车", "讲故事", "织毛衣",
                "卖烤红薯", "写毛笔字", "拍照片", "吹口琴", "做风车", "分发小贴纸", "给小朋友变魔术",
                "搬箱子", "擦窗户", "喝茶", "折纸飞机", "看地图"]
ZH_OPENERS = ["这时，", "接着，", "不一会儿，", "过了一会儿，", "然后，", "后来，", "于是，", "没过多久，",
              "就在这时，", "第二天，", "一转眼，", "很快，"]
ZH_ACTIVITIES = ZH_ACTIVITIES + ["种向日葵", "听故事", "玩沙子", "收集树叶", "画小动物", "拼积木", "捏橡皮泥",
                                 "剪纸", "弹钢琴", "唱儿歌", "跳房子", "追蝴蝶", "给小花浇水", "看星星", "做小蛋糕"]
ZH_OBJECTS = ZH_OBJECTS + [
    ("小熊猫玩偶", "个", "toy"), ("小木马", "匹", "toy"), ("万花筒", "个", "toy"), ("泡泡机", "个", "toy"),
    ("小恐龙", "只", "toy"), ("纸飞机", "架", "toy"), ("沙漏", "个", "thing"), ("贝壳项链", "条", "wear"),
    ("草帽", "顶", "wear"), ("雨靴", "双", "wear"), ("背心", "件", "wear"), ("小水桶", "个", "carry"),
    ("饭盒", "个", "carry"), ("铁皮盒", "个", "carry"), ("小提琴", "把", "music"), ("手鼓", "面", "music"),
    ("相册", "本", "paper"), ("图画本", "本", "paper"), ("水彩笔", "盒", "art"), ("指南针", "个", "thing"),
    ("小风铃", "串", "thing"), ("小灯笼", "盏", "carry"), ("布口袋", "个", "carry"), ("发带", "条", "wear"),
]
ZH_WEAR_VERB.update({"贝壳项链": "戴", "草帽": "戴", "雨靴": "穿", "背心": "穿", "发带": "戴"})
ZH_MUSIC_VERB.update({"小提琴": "拉", "手鼓": "敲"})
ZH_PLACES = ZH_PLACES + [
    ("植物园", False, ["奇怪的大花", "高高的竹子", "小温室", "荷花池"]),
    ("海洋馆", True, ["大鲨鱼", "小海马", "海豚表演", "玻璃隧道"]),
    ("科技馆", True, ["机器人", "小火箭", "会发光的球", "大大的地球仪"]),
    ("体育馆", True, ["篮球架", "跑道", "大垫子", "跳绳的小朋友"]),
    ("花市", False, ["一盆盆鲜花", "小多肉", "卖花的阿姨", "香香的茉莉"]),
    ("码头", False, ["大轮船", "小渔船", "海鸥", "长长的绳子"]),
    ("竹林", False, ["高高的竹子", "小竹笋", "小溪", "石头小路"]),
    ("葡萄园", False, ["一串串葡萄", "木架子", "小篮子", "蜜蜂"]),
    ("滑冰场", True, ["亮晶晶的冰面", "滑冰的人", "小企鹅滑板"]),
    ("外婆家", True, ["小菜园", "老藤椅", "大黄狗", "花猫"]),
    ("沙滩", False, ["沙堡", "贝壳", "海浪", "小螃蟹"]),
    ("游乐园", False, ["摩天轮", "过山车", "旋转木马", "棉花糖摊"]),
]

# Named places ("Willow Park", "the Maple Museum"): place type -> (name word, takes "the")
PLACE_NAME_WORDS = """Willow Oak Maple Pine Cedar Birch Elm Apple Cherry Riverside Hillside Brookside Lakeview
    Kingsley Ashford Fairview Greenwood Foxglove Rosewood Larkspur Moonbeam Sunnyside Windmill Stony Mossy
    Meadowbrook Briar Hazel Juniper Bellflower Clearwater Stonebridge Primrose Hawthorn Blossom""".split()
NAMED_PLACES = {
    "the park": ("Park", False), "the lake": ("Lake", False), "the hill": ("Hill", False),
    "the forest": ("Forest", False), "the woods": ("Woods", False), "the beach": ("Beach", False),
    "the farm": ("Farm", False), "the pond": ("Pond", False), "the meadow": ("Meadow", False),
    "the garden": ("Garden", False), "the library": ("Library", True), "the school": ("School", False),
    "the zoo": ("Zoo", True), "the market": ("Market", False), "the bakery": ("Bakery", True),
    "the playground": ("Playground", False), "the museum": ("Museum", True), "the square": ("Square", False),
    "the valley": ("Valley", False), "the island": ("Island", False), "the orchard": ("Orchard", False),
    "the harbor": ("Harbor", False), "the station": ("Station", False), "the river": ("River", True),
    "the bookshop": ("Bookshop", True), "the toy shop": ("Toy Shop", True), "the aquarium": ("Aquarium", True),
    "the village": ("Village", False), "the mountain": ("Mountain", False), "the campsite": ("Campsite", False),
}
PLACE_NAME_WORDS = [w for w in PLACE_NAME_WORDS if w not in set(ALL_NAMES) | set(PET_NAMES)]

# Which animals can turn up where (English place names without a name word; see NAMED_PLACES).
EXOTIC_ANIMALS = {"lion", "tiger", "elephant", "giraffe", "zebra", "monkey", "kangaroo", "koala", "panda", "hippo",
                  "rhino", "camel", "penguin", "flamingo", "walrus", "seal", "dolphin", "peacock", "llama",
                  "alpaca", "yak", "pelican", "parrot"}
SEA_ANIMALS = {"seal", "dolphin", "walrus", "pelican", "penguin"}
ZOO_PLACES = {"the zoo"}
SEA_PLACES = {"the beach", "the harbor", "the seaside", "the rock pools", "the island", "the sand dunes"}
WATER_PLACES = SEA_PLACES | {"the lake", "the river", "the pond", "the duck pond", "the stream", "the waterfall",
                             "the bridge"}
NATURE_PLACES = {"the forest", "the woods", "the mountain", "the campsite", "the meadow", "the valley", "the hill",
                 "the waterfall", "the stream", "the bird sanctuary", "the flower field", "the sand dunes",
                 "the island", "the lake", "the river"}
FARM_PLACES = {"the farm", "the barn", "the village", "the orchard", "the pumpkin patch", "the valley",
               "the meadow", "the hill", "the community garden"}

# Chinese animals by kind, what each kind may be doing, and where wild or farm animals may turn up
ZH_ANIMAL_KIND = {"小鸟": "bird", "喜鹊": "bird", "鸽子": "bird", "啄木鸟": "bird", "猫头鹰": "bird",
                  "青蛙": "water", "小鸭子": "water", "乌龟": "water", "小鱼": "water", "天鹅": "water",
                  "螃蟹": "water", "大白鹅": "water", "蝴蝶": "bug", "蜜蜂": "bug", "蜻蜓": "bug", "蜗牛": "bug",
                  "瓢虫": "bug", "萤火虫": "bug", "松鼠": "small", "兔子": "small", "刺猬": "small",
                  "小狗": "pet", "小猫": "pet", "小羊": "farm", "奶牛": "farm", "小马": "farm",
                  "小鹿": "wild", "狐狸": "wild", "小猴子": "wild", "熊猫": "wild"}
ZH_ANIMAL_ACTS_BY_KIND = {
    "bird": ["在树枝上唱歌", "在天上飞来飞去", "在地上找虫子吃", "在屋檐下搭窝"],
    "water": ["在水里游来游去", "在荷叶上休息", "在岸边晒太阳", "在水边慢慢地走"],
    "bug": ["在花丛里飞来飞去", "停在一片叶子上", "慢慢地往前爬", "在草叶上休息"],
    "small": ["在树下找吃的", "抱着一颗果子啃", "在草丛里蹦来蹦去", "东张西望"],
    "pet": ["在太阳下打盹", "摇着尾巴跑来跑去", "追着自己的尾巴转圈"],
    "farm": ["在草地上吃草", "在树荫下休息", "慢悠悠地散步"],
    "wild": ["在树林边东张西望", "在小溪边喝水", "在大树下休息"],
}
ZH_WATER_PLACES = {"海边", "湖边", "小河边", "小溪边", "小岛", "沙滩", "码头", "公园", "植物园"}
ZH_WILD_PLACES = {"森林", "小树林", "竹林", "山顶", "小山坡", "动物园"}
ZH_FARM_PLACES = {"农场", "村子", "菜园", "果园", "草地", "小山坡", "外婆家", "奶奶家"}
