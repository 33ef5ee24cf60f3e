"""Compact name lists for the synthetic population (``bench.population``).

Each list is in approximate frequency order (most common first); ``bench.population`` turns the
rank into a weight with a Zipf-like law fitted to the published US figures (Census 2010 surnames:
Smith 0.83 % of people, the 10th name about 0.39 %, the 1000th about 0.011 %; SSA given names:
the most common male name of the 1955-2003 birth cohorts about 3 % of men). The exact order
beyond the first hundred or so is approximate and does not matter for the benchmark.

Multi-word surnames are written with ``_`` for a space (``de_la_Cruz``). Diacritics appear as in
the spelling a clerk who has the key would type; ``ACCENTED`` adds the accented spellings of
common Spanish names, used for a share of the population.
"""

from __future__ import annotations

__all__ = [
    "ACCENTED",
    "COMMON_NAMES",
    "FEMALE_GIVEN",
    "FILIPINO_HYPOCORISMS",
    "FILIPINO_PET_NAMES",
    "HISPANIC_NICKNAMES",
    "MALE_GIVEN",
    "MIDDLE_EXTRA",
    "SPANISH_HYPOCORISMS",
    "STATES",
    "SURNAMES",
    "TAIL_PREFIXES",
    "TAIL_SUFFIXES",
    "TWIN_PAIRS",
]

# The 1000 or so most common surnames (roughly US Census 2010 order), then compound, particle,
# hyphenated and diacritic surnames at plausible ranks further down.
_SURNAMES = """
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson
Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis
Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera
Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart
Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim
Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo
Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler
Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds
Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford
Castro Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman
Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon
Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice
Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer
Hawkins Arnold Pierce Vazquez Hansen Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong
Hudson Carroll Lane Riley Andrews Alvarado Ray Delgado Berry Perkins Hoffman Johnston Matthews Pena Richards
Contreras Willis Carpenter Lawrence Sandoval Guerrero George Chapman Rios Estrada Ortega Watkins Greene Nunez
Wheeler Valdez Harper Burke Larson Santiago Maldonado Morrison Franklin Carlson Austin Dominguez Carr Lawson
Jacobs O'Brien Lynch Singh Vega Bishop Montgomery Oliver Jensen Harvey Williamson Gilbert Dean Sims Espinoza
Howell Li Wong Reid Hanson Le McCoy Garrett Burton Fuller Wang Weber Welch Rojas Lucas Marquez Fields Park
Yang Little Banks Padilla Day Walsh Bowman Schultz Luna Fowler Mejia Davidson Acosta Brewer May Holland
Juarez Newman Pearson Curtis Cortez Douglas Schneider Joseph Barrett Navarro Figueroa Keller Avila Wade
Molina Stanley Hopkins Campos Barnett Bates Chambers Caldwell Beck Lambert Miranda Byrd Craig Ayala Lowe
Frazier Powers Neal Leonard Gregory Carrillo Sutton Fleming Rhodes Shelton Schwartz Norris Jennings Watts
Duran Walters Cohen McDaniel Moran Parks Steele Vaughn Becker Holt DeLeon Barker Terry Hale Leon Hail Benson
Haynes Horton Miles Lyons Pham Graves Bush Thornton Wolfe Warner Cabrera McKinney Mann Zimmerman Dawson Lara
Fletcher Page McCarthy Love Robles Cervantes Solis Erickson Reeves Chang Klein Salinas Fuentes Baldwin
Daniel Simon Velasquez Hardy Higgins Aguirre Lin Cummings Chandler Sharp Barber Bowen Ochoa Dennis Robbins
Liu Ramsey Francis Griffith Paul Blair O'Connor Cardenas Pacheco Cross Calderon Quinn Moss Swanson Chan
Rivas Khan Rodgers Serrano Fitzgerald Rosales Stevenson Christensen Manning Gill Curry McLaughlin Harmon
McGee Gross Doyle Garner Newton Burgess Reese Walton Blake Trujillo Adkins Brady Goodman Roman Webster
Goodwin Fischer Huang Potter Delacruz Montoya Todd Wu Hines Mullins Castaneda Malone Cannon Tate Mack
Sherman Hubbard Hodges Zhang Guerra Wolf Valencia Saunders Franco Rowe Gallagher Farmer Hammond Hampton
Townsend Ingram Wise Gallegos Clarke Barton Schroeder Maxwell Waters Logan Camacho Strickland Norman Person
Colon Parsons Frank Harrington Glover Osborne Buchanan Casey Floyd Patton Ibarra Ball Tyler Suarez Bowers
Orozco Salas Cobb Gibbs Andrade Bauer Conner Moody Escobar McGuire Lloyd Mueller Hartman French Kramer
McBride Pope Lindsey Velazquez Norton McCormick Sparks Flynn Yates Hogan Marsh Macias Villanueva Zamora
Pratt Stokes Owen Ballard Lang Brock Villarreal Charles Drake Barrera Cain Patrick Pineda Burnett Mercado
Santana Shepherd Bautista Ali Shaffer Lamb Trevino McKenzie Hess Beil Olsen Cochran Morton Nash Wilkins
Petersen Briggs Shah Roth Nicholson Holloway Lozano Rangel Flowers Hoover Short Arias Mora Valenzuela Bryan
Meyers Weiss Underwood Bass Greer Summers Houston Carson Morrow Clayton Whitaker Decker Yoder Collier Zuniga
Carey Wilcox Melendez Poole Roberson Larsen Conley Davenport Copeland Massey Lam Huff Rocha Cameron Jefferson
Hood Monroe Anthony Pittman Huynh Randall Singleton Kirk Combs Mathis Christian Skinner Bradford Richard
Galvan Wall Boone Kirby Wilkinson Bridges Bruce Atkinson Velez Meza Roy Vincent York Hodge Villa Abbott
Allison Tapia Gates Chase Sosa Sweeney Farrell Wyatt Dalton Horn Barron Phelps Yu Dickerson Heath Foley
Atkins Mathews Bonilla Acevedo Benitez Zavala Hensley Glenn Cisneros Harrell Shields Rubio Choi Huffman
Boyer Garrison Arroyo Bond Kane Hancock Callahan Dillon Cline Wiggins Grimes Arellano Melton O'Neill Savage
Ho Beltran Pitts Parrish Ponce Rich Booth Koch Golden Ware Brennan McDowell Marks Cantu Humphrey Baxter
Sawyer Clay Tanner Hutchinson Kaur Berg Wiley Gilmore Russo Villegas Hobbs Keith Wilkerson Ahmed Beard
McClain Montes Mata Rosario Vang Walter Henson O'Donnell Levy Lowery Cherry Gentry Cantrell Frederick
Knapp Sexton Mayer Everett Hurst Lucero Mccann Bullock Lott Rasmussen Blackwell Ewing Pugh Sampson
Whitney Castellanos Maddox Esparza Watkins Hurley Bryson Solomon Huber Finley Duffy Kemp Noble Odom
Mendoza Pruitt Stout Ayers Holden Church Vance Bender Kline Preston Hanna Mayo Dudley Leblanc Cardona
Fry Middleton Cuevas Frost Galindo Donovan Rollins Reilly Hays Chaney Stafford Knox Moses Conway Weeks
Buckley Ruiz Mcintosh Rivers Lindsay Dickson Burch Pace Herring Avery Buck Compton Rocha Glass Sloan
Schaefer Bean Oconnor Hardin Hickman Wooten Marin Donaldson Hester Mcmahon Goff Bowling Leach Dougherty
Salgado Petty Tyson Travis Shannon Ochoa Frye Hinton Mays Duke Valentine Stuart Schmitt Pollard Lyon
Benjamin Keene Sheppard Holman Moyer Small Cote Spears Kerr Haas Gould Riggs Mercer Hahn Velez Roach
Mcclure Mcfarland Whitehead Eaton Tate Hewitt Ashley Dyer Cantrell Nixon Boyle Cervantes Blackburn Cantu
Walls Carver Lutz Rowland Workman Strong Pate Rush Mosley Lugo Corona Howe Grace Krueger Hull Kent
Sweet Crane Pickett Cochran Hendricks Bradshaw Harding Gamble Prince Oneal Clements Dale Mcconnell
Herman Norwood Koenig Frey Jarvis Randolph Guthrie Wolff Pittman Swain Madden Hatfield Lancaster
Benton Lowry Meadows Case Haley Downs Fritz Archer Levine Brandt Gaines Burks Whitley Morse Hendrix
Bush Weber Kaiser Vo Truong Dang Bui Do Ngo Duong Ly Vu Lam Dinh Trinh Mai Phan Hoang Cao Luong Tang
Ng Lu Xu Zhou Zhao Sun Ma Hu Guo He Gao Lin Zheng Liang Xie Song Tang Han Feng Deng Cho Kang Jung Yoon
Lim Shin Oh Seo Kwon Hwang Ahn Tanaka Suzuki Yamamoto Nakamura Kobayashi Sato Watanabe Ito Takahashi
Yoshida Yamada Sasaki Kumar Sharma Gupta Reddy Rao Shah Mehta Desai Joshi Iyer Nair Chowdhury Hussain
Rahman Begum Islam Akhtar Mohammed Hassan Ibrahim Abdullah Mahmoud Haddad Nasser Khalil Saleh Okafor
Okonkwo Adeyemi Mensah Owusu Kamara Diallo Traore Nwosu Eze Obi Bello Kowalski Nowak Wojcik Lewandowski
Kaminski Zielinski Szymanski Wozniak Dabrowski Kozlowski Jankowski Mazur Krawczyk Novak Horvat Kovac
Petrov Ivanov Smirnov Popov Sokolov Volkov Kuznetsov Morozov Pavlov Fedorov Romanov Russo Esposito
Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti Costa Giordano Mancini Rizzo Lombardi Moretti
Barbieri Fontana Santoro Mariani Rinaldi Caruso Ferrara Galli Martini Leone Longo Gentile Martinelli
Vitale Lombardo Serra Coppola DeSantis Marchetti Parisi Villa Conte Ferraro Ferri Fabbri Bianco
Marini Grasso Valentini Messina Sala DeAngelis Gatti Pellegrini Palumbo Sanna Farina Rizzi Monti
Cattaneo Morelli Amato Silvestri Mazza Testa Grassi Pellegrino Carbone Giuliani Benedetti Barone
Rossetti Caputo Montanari Guerra Palmieri Bernardi Martino Fiore DeLuca Ferretti Bellini Basile
Riva Donati Piras Vitali Battaglia Sartori Neri Costantini Milani Pagano Ruggiero Sorrentino
Oconnell Dunne Kavanagh Byrne Brennan Keane Nolan Fitzpatrick Hennessy Mcgrath Dempsey Doherty
Flanagan Gallagher Mcnamara Moriarty Mulligan Sheehan Tierney Whelan Callaghan Carroll Cassidy
Macdonald Mackenzie Mackay Maclean Macleod Campbell Stewart Fraser Robertson Ross Murray Cameron
Sinclair Munro Grant Gunn Mcintyre Mcpherson Mcleod Lachlan Mcallister Muller Schmid Schneider Weber
Schulz Becker Wagner Zimmermann Braun Hofmann Lange Schmitt Werner Krause Meier Lehmann Huber Kaiser
Fuchs Peters Scholz Jung Moller Hahn Keller Vogel Friedrich Gunther Winkler Lorenz Baumann Albrecht
Jansen DeVries Bakker Visser Smit Meijer DeBoer Mulder DeGroot Bos Vos Peters Hendriks Dekker
Dijkstra Vermeulen Kuipers Willems Lambrechts Dubois Lefebvre Moreau Laurent Fournier Girard Bonnet
Mercier Boucher Gagnon Roy Cote Bouchard Gauthier Morin Lavoie Fortin Gagne Ouellet Pelletier Belanger
Levesque Bergeron Leblanc Paquette Girard Simard Boucher Caron Beaulieu Cloutier Dube Poirier
Fournier Lapointe Leclerc Lefebvre Poulin Thibault Mercier Parent Marchand Larocque Duval Hebert
Landry Guidry Broussard Thibodeaux Fontenot Boudreaux Arceneaux Robichaux Theriot Comeau
Begay Yazzie Benally Tsosie Nez Etsitty Tso Chee Redhouse Whitehorse Runningwater Littlefeather
Kealoha Kahale Akana Kamakana Kanoho Palakiko Mahoe Keawe Kalani Nakoa
de_la_Cruz De_León Del_Río de_la_Rosa De_los_Santos Van_Der_Berg Van_Buren Von_Braun Van_Dyke
De_Vries Van_Houten Ten_Brink Da_Silva Dos_Santos D'Angelo Le_Blanc La_Rosa Di_Giorgio St._Pierre
St._John Mac_Donald Van_Der_Meer Vander_Wal De_Jesús Del_Valle De_la_Garza De_la_Fuente Van_Horn
García-López Smith-Jones Nguyen-Tran Rodríguez-Pérez Martin-Baker Hernández_López García_Márquez
Ruiz_Zafón Sánchez_Vicario Torres_Quevedo Jones-Williams Lopez-Garcia Ortiz-Rivera Pérez-Reyes
Peña Muñoz Núñez Ibáñez Müller Schröder Gößling Björk Søndergaard Łukasiewicz Dvořák Kühn Öztürk
Çelik Yılmaz Şahin Doğan Ruíz Jiménez Gutiérrez Hernández Fernández Domínguez
"""

# Spanish names often entered with or without the accent; a share of the population carries the accent.
ACCENTED: dict[str, str] = {
    "Martinez": "Martínez", "Gomez": "Gómez", "Rodriguez": "Rodríguez", "Hernandez": "Hernández",
    "Lopez": "López", "Gonzalez": "González", "Perez": "Pérez", "Sanchez": "Sánchez", "Ramirez": "Ramírez",
    "Diaz": "Díaz", "Pena": "Peña", "Munoz": "Muñoz", "Nunez": "Núñez", "Jimenez": "Jiménez",
    "Gutierrez": "Gutiérrez", "Alvarez": "Álvarez", "Fernandez": "Fernández", "Vasquez": "Vásquez",
    "Dominguez": "Domínguez", "Suarez": "Suárez", "Chavez": "Chávez", "Velazquez": "Velázquez",
    "Marquez": "Márquez", "Juarez": "Juárez", "Ibanez": "Ibáñez", "Garcia": "García", "Ramos": "Ramos",
    "Jose": "José", "Maria": "María", "Jesus": "Jesús", "Andres": "Andrés", "Hector": "Héctor",
    "Raul": "Raúl", "Ramon": "Ramón", "Ruben": "Rubén", "Sofia": "Sofía", "Lucia": "Lucía",
    "Angel": "Ángel", "Oscar": "Óscar", "Ivan": "Iván", "Martin": "Martín", "Adrian": "Adrián",
    "Julian": "Julián", "Zoe": "Zoë", "Renee": "Renée", "Chloe": "Chloé", "Joaquin": "Joaquín",
    "Ines": "Inés", "Monica": "Mónica", "Veronica": "Verónica", "Sean": "Seán", "Siobhan": "Siobhán",
}

# Male given names, most common first (SSA, birth cohorts 1955-2003, roughly).
_MALE = """
Michael James John Robert David William Christopher Joseph Richard Daniel Thomas Matthew Jason Mark
Brian Anthony Steven Kevin Joshua Eric Timothy Jeffrey Paul Andrew Scott Charles Kenneth Ryan Gregory
Donald Ronald Gary Jonathan Stephen Justin Jose Edward Patrick Brandon Jeremy Benjamin Nicholas Adam
Jacob Aaron Larry Dennis Raymond Frank Douglas Jerry Tyler Keith Peter Samuel Nathan Zachary Sean Todd
Travis Shawn Chad Dustin Bradley Christian Kyle Jesse Juan Carlos Luis Antonio Alexander Derek Craig
Troy Gregory Randy Terry Marcus Corey Cody Shane Alan Curtis Wesley Billy Bobby Roger Walter Joe Johnny
Jimmy Danny Tony Ricky Henry Philip Victor Vincent Russell Martin Bruce Albert Lawrence Carl Willie
Harold Arthur Ralph Eugene Louis Howard Jack Roy Wayne Gerald Jordan Austin Dylan Ethan Noah Logan
Caleb Luke Isaac Evan Hunter Garrett Blake Seth Spencer Trevor Mitchell Chase Jared Marco Nathaniel
Alex Jake Joel Dean Lee Allen Glen Leonard Stanley Frederick Francis Jon Jay Erik Kurt Darren Gordon
Lance Miguel Manuel Ricardo Jorge Francisco Mario Pedro Fernando Javier Eduardo Roberto Andres Hector
Raul Ramon Ruben Oscar Sergio Rafael Edgar Angel Omar Alberto Enrique Arturo Armando Salvador Ignacio
Gilberto Alejandro Jesus Adrian Julian Joaquin Ivan Darnell Jamal Terrence DeShawn Tyrone Malik Andre
Lamar Cedric Darius Marquis Reginald Dwayne Jerome Clarence Maurice Leroy Rodney Calvin Alvin Leon
Marvin Kareem Minh Tuan Duc Hung Wei Jian Rajesh Sanjay Amit Vikram Mohammed Ahmed Ali Hassan Yusuf
Dmitri Sergei Piotr Łukasz Tomasz Sean Liam Connor Ian Colin Neil Glenn Dale Brent Derrick Casey
Marc Gabriel Elijah Mason Jaime Felipe Guillermo Emilio Rodrigo Esteban Ernesto Alfredo Rolando Xavier
Donovan Demetrius Quentin Jermaine Rashad Kwame Bryce Dominic Vernon Floyd Clifford Herbert Lloyd Gene
"""

# Female given names, most common first.
_FEMALE = """
Jennifer Jessica Amanda Sarah Melissa Michelle Elizabeth Lisa Kimberly Ashley Stephanie Nicole Mary
Heather Amy Angela Rebecca Laura Karen Emily Rachel Christina Maria Kelly Julie Susan Patricia Tiffany
Andrea Megan Lauren Christine Danielle Crystal Erin Amber Samantha Katherine Linda Brittany Sandra
Donna Deborah Cynthia Tracy Dawn Brenda Pamela Shannon Nancy Barbara Kristen Catherine Victoria Hannah
Tamara Monica Veronica Erica Natalie Courtney Jacqueline Denise Wendy Stacy Carrie Diana Teresa Rosa
Ana Carmen Guadalupe Lucia Sofia Yolanda Adriana Alejandra Gabriela Leticia Margaret Kathleen Anna
Sharon Carol Janet Diane Joanne Joan Martha Gloria Renee Kayla Alexis Jasmine Keisha Latoya Aaliyah
Ebony Tamika Mei Priya Aisha Fatima Siobhan Zoe Chloe Madison Olivia Grace Abigail Emma Brianna
Vanessa Marisol Yesenia Dolores Mercedes Concepcion Ines Irene Joanna Jillian Kristina Lindsey Leah
"""

MALE_GIVEN: tuple[str, ...] = tuple(dict.fromkeys(_MALE.split()))
FEMALE_GIVEN: tuple[str, ...] = tuple(dict.fromkeys(_FEMALE.split()))
SURNAMES: tuple[str, ...] = tuple(dict.fromkeys(s.replace("_", " ") for s in _SURNAMES.split()))

# Middle names that are common as middles though rare as first names.
MIDDLE_EXTRA: dict[str, tuple[str, ...]] = {
    "M": ("Lee", "Allen", "Ray", "Wayne", "Dean", "Lynn", "Eugene", "Alan", "Scott", "Edward"),
    "F": ("Ann", "Marie", "Lynn", "Elaine", "Jean", "Louise", "Rose", "Nicole", "Renee", "Michelle"),
}

# Pieces of synthetic surnames for the long tail beyond the listed names (about 60 % of people
# carry a surname outside the 1000 most common). prefix x suffix gives ~17,000 distinct names.
_TAIL_PREFIXES = """
Ab Ad Al Alt Am An Ar Ash Ast Bal Ban Bar Bax Bel Ben Ber Bir Bl Bol Bor Br Bran Bre Bro Bu Bur Cal Cam
Can Car Cas Ch Chal Cl Col Cor Cr Cul Dal Dan Dar Del Den Der Dor Dr Dun Eb Ed El Em En Er Es Ev Fal Far
Fel Fen Fin Fl For Fr Gal Gar Gel Gil Gl Gor Gr Gul Hal Ham Har Has Hel Her Hil Hol Hor Hun Ing Jar Jen
Kal Kar Kel Ken Kil Kin Kr Lan Lar Law Lin Lind Lor Mal Man Mar Mel Mer Mil Mor Nal Nor Ol Or Os Pal Par
Pel Pen Per Pr Quin Ral Ran Red Ren Rid Rob Ros Rud Sal Sam San Sel Sh Sim Sk Sl Sn Sp St Str Sul Sw Tal
Tar Tel Ter Th Tor Tr Tul Um Val Van Vel Ver Wal War Wel Wh Wil Win Wor Yar Yel Zan Zel
"""
_TAIL_SUFFIXES = """
ach aker ald alski and ander ard aro as ash ata ato away back bach baum beck berg berger bert bly borough
bourne brook burg burn bury by cek chek cott croft dale den dez ding don dorf ell ema ens er erly ers ert
es etti ez field ford gard gate ger good ham hardt hart hausen holm holt hurst ian ich ick ides ik ilo
ina ing ini inski ington is ish ison itz ius ka kin kins ko kov land ler ley ling lock lund man mann mer
mond more ney nik nov ock ola ond ora ova ow ridge ring rock ros sen shaw ski son stad ston strom ter ton
tree ucci vall ville wald ward well wick win wood worth wright yk zak
"""
TAIL_PREFIXES: tuple[str, ...] = tuple(_TAIL_PREFIXES.split())
TAIL_SUFFIXES: tuple[str, ...] = tuple(_TAIL_SUFFIXES.split())

# (given, surname) pairs forced onto a share of the population: the common-name collision set.
COMMON_NAMES: tuple[tuple[str, str, str], ...] = (
    ("M", "John", "Smith"), ("M", "Michael", "Smith"), ("M", "James", "Smith"), ("M", "David", "Smith"),
    ("M", "Robert", "Johnson"), ("M", "Michael", "Johnson"), ("M", "James", "Williams"),
    ("M", "Michael", "Brown"), ("M", "David", "Jones"), ("M", "John", "Miller"), ("M", "Jose", "Garcia"),
    ("M", "Juan", "Rodriguez"), ("M", "Jose", "Hernandez"), ("M", "Luis", "Martinez"),
    ("F", "Maria", "Garcia"), ("F", "Maria", "Rodriguez"), ("F", "Jennifer", "Smith"),
    ("F", "Jessica", "Johnson"), ("M", "Christopher", "Davis"), ("M", "William", "Brown"),
)

# Twin pairs with deliberately similar or matched names (the rest of the twins get two unrelated names).
TWIN_PAIRS: tuple[tuple[str, str, str, str], ...] = (
    ("M", "Jacob", "M", "Joshua"), ("M", "Daniel", "M", "David"), ("M", "Michael", "M", "Matthew"),
    ("M", "Ethan", "M", "Evan"), ("M", "Tyler", "F", "Taylor"), ("M", "Ronald", "M", "Donald"),
    ("M", "Jon", "F", "Joan"), ("M", "Mario", "F", "Maria"), ("M", "Dylan", "M", "Devin"),
    ("F", "Mary", "F", "Martha"), ("F", "Faith", "F", "Hope"), ("M", "Jordan", "M", "Justin"),
    ("M", "Brian", "M", "Bruce"), ("F", "Erin", "M", "Aaron"), ("M", "Carlos", "F", "Carla"),
    ("M", "Adrian", "F", "Adriana"), ("M", "Alexander", "F", "Alexandra"), ("M", "Jesus", "F", "Jessica"),
    ("M", "Eric", "F", "Erica"), ("M", "Daniel", "F", "Danielle"), ("M", "Christopher", "F", "Christina"),
)

# Spanish hypocorisms (not in the ``nicknames`` package's table): a probe of what the table misses.
HISPANIC_NICKNAMES: dict[str, tuple[str, ...]] = {
    "Jose": ("Pepe", "Chepe"), "Francisco": ("Paco", "Pancho", "Frank"), "Jesus": ("Chuy",),
    "Guadalupe": ("Lupe", "Lupita"), "Ignacio": ("Nacho",), "Eduardo": ("Lalo",), "Alberto": ("Beto",),
    "Roberto": ("Beto",), "Enrique": ("Kike",), "Manuel": ("Manny", "Manolo"), "Antonio": ("Tono", "Tony"),
    "Rafael": ("Rafa",), "Guillermo": ("Memo",), "Dolores": ("Lola",), "Mercedes": ("Meche",),
    "Concepcion": ("Concha", "Conchita"), "Alejandro": ("Alex", "Jandro"), "Gilberto": ("Gil", "Beto"),
    "Salvador": ("Chava",), "Ramon": ("Moncho",), "Rosa": ("Rosita",), "Armando": ("Mando",),
}

# Spanish hypocorisms by formal name, as a clerk would type them (some keep the tilde): the common
# Mexican, Central American and Spanish short forms, a wider list than ``HISPANIC_NICKNAMES``. Written
# for the benchmark from general knowledge of the names, independently of ``identity.nicknames``; the
# two lists overlap by design (both aim at the common forms) and the benchmark shows what one misses.
SPANISH_HYPOCORISMS: dict[str, tuple[str, ...]] = {
    "Jose": ("Pepe", "Pepito", "Chepe", "Joselito"), "Francisco": ("Paco", "Pancho", "Kiko", "Curro", "Paquito"),
    "Jesus": ("Chucho", "Chuy"), "Ignacio": ("Nacho",), "Antonio": ("Toño", "Tono", "Toni"),
    "Guillermo": ("Memo",), "Eduardo": ("Lalo",), "Alberto": ("Beto",), "Roberto": ("Beto", "Tito"),
    "Enrique": ("Quique", "Kike"), "Rafael": ("Rafa", "Rafi"), "Juan": ("Juanito", "Juancho"),
    "Manuel": ("Manolo", "Manolito"), "Fernando": ("Nando", "Fer"), "Salvador": ("Chava", "Chavo"),
    "Ramon": ("Moncho",), "Luis": ("Lucho", "Wicho"), "Alejandro": ("Jandro",), "Gilberto": ("Beto",),
    "Sergio": ("Checo",), "Rodrigo": ("Rodri",), "Armando": ("Mando",), "Ricardo": ("Richi",),
    "Guadalupe": ("Lupe", "Lupita"), "Dolores": ("Lola", "Lolita"), "Mercedes": ("Meche",),
    "Concepcion": ("Concha", "Conchita"), "Rosa": ("Rosita",), "Teresa": ("Tere",), "Ana": ("Anita",),
    "Yolanda": ("Yoli",), "Leticia": ("Lety",), "Gabriela": ("Gaby",), "Carmen": ("Carmencita",),
}

# Filipino hypocorisms derived from the formal name (reduplications and -ing/-oy forms).
FILIPINO_HYPOCORISMS: dict[str, tuple[str, ...]] = {
    "Jose": ("Jojo", "Peping"), "Joseph": ("Jojo",), "Fernando": ("Nanding",), "Carlos": ("Caloy",),
    "Ricardo": ("Carding",), "Antonio": ("Tonyo",), "Ramon": ("Monching",), "Arturo": ("Turing",),
    "Rolando": ("Lando",), "Roberto": ("Berto",), "Maria": ("Maring",), "Teresa": ("Tessie",),
    "Dolores": ("Loleng",), "Gloria": ("Gloring",),
}

# Filipino pet names that stand for no particular formal name (Boy, Bong, Jun for a Junior...): a clerk
# may enter one as the given name of anybody of that sex.
FILIPINO_PET_NAMES: dict[str, tuple[str, ...]] = {
    "M": ("Boy", "Bong", "Jun", "Junjun", "Dodong", "Nonoy", "Toto", "Ding", "Jonjon"),
    "F": ("Inday", "Neneng", "Nene", "Baby", "Ging", "Ding"),
}

# (code, relative size of the state's law-enforcement workforce ~ its population, millions)
STATES: tuple[tuple[str, float], ...] = (
    ("CA", 39.0), ("TX", 30.0), ("FL", 22.0), ("NY", 19.6), ("PA", 13.0), ("IL", 12.5), ("OH", 11.8),
    ("GA", 11.0), ("NC", 10.7), ("MI", 10.0), ("NJ", 9.3), ("VA", 8.7), ("WA", 7.8), ("AZ", 7.4),
    ("TN", 7.1), ("MA", 7.0), ("IN", 6.8), ("MO", 6.2), ("MD", 6.2), ("WI", 5.9), ("CO", 5.8),
    ("MN", 5.7), ("SC", 5.3), ("AL", 5.1), ("LA", 4.6), ("KY", 4.5), ("OR", 4.2), ("OK", 4.0),
    ("CT", 3.6), ("UT", 3.4), ("IA", 3.2), ("NV", 3.2), ("AR", 3.0), ("MS", 2.9), ("KS", 2.9),
    ("NM", 2.1), ("NE", 2.0), ("ID", 1.9), ("WV", 1.8), ("HI", 1.4), ("NH", 1.4), ("ME", 1.4),
    ("MT", 1.1), ("RI", 1.1), ("DE", 1.0), ("SD", 0.9), ("ND", 0.8), ("AK", 0.7), ("VT", 0.6), ("WY", 0.6),
)
